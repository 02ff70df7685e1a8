//! A partner's logo (manual 3.2.3: "Afbeelding van max. 1 MB"): PNG, JPEG or WebP, recognised
//! from the bytes themselves and decoded completely (api.md), so only a whole, readable image is
//! stored. The Content-Type a client sends is not trusted, and SVG (which can carry scripts) is
//! never accepted.

use std::fmt;
use std::io::Cursor;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// The largest logo the portal stores: 1 MiB (api.md).
pub const MAX_LOGO_BYTES: usize = 1_048_576;

/// The widest and tallest logo, in pixels. A logo is shown a few hundred pixels wide; a
/// larger image is refused before its pixels are decoded, so that 1 MiB of well-compressed
/// data (a "decompression bomb") cannot make the function decode a gigapixel.
pub const MAX_LOGO_SIDE: u32 = 4096;

/// The most memory the decoder may take for one logo. The largest logo that needs it all is a
/// progressive JPEG of 4096 × 4096 pixels with full-resolution colour: 48 MiB of RGB output and
/// 96 MiB of coefficients (measured: 148 MiB). An 8-bit RGBA PNG or WebP of that size takes
/// 64 MiB. With the function's own ~17 MiB that is why the upload function has 512 MB
/// (template.yaml).
pub const MAX_DECODE_BYTES: u64 = 144 * 1024 * 1024;

/// The image formats a logo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogoFormat {
    Png,
    Jpeg,
    Webp,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }
}

/// Why an upload is not a logo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoRefusal {
    #[error("no bytes")]
    Empty,
    #[error("{size} bytes is more than {MAX_LOGO_BYTES}")]
    TooLarge { size: usize },
    /// Not PNG, JPEG or WebP, not decodable to its last pixel, or larger than
    /// [`MAX_LOGO_SIDE`] or [`MAX_DECODE_BYTES`].
    #[error("not a PNG, JPEG or WebP image")]
    Unsupported,
}

/// Uploaded bytes that decode completely as a PNG, JPEG or WebP image of at most
/// [`MAX_LOGO_BYTES`] and [`MAX_LOGO_SIDE`] pixels a side.
#[derive(Clone, PartialEq, Eq)]
pub struct LogoImage {
    format: LogoFormat,
    width: usize,
    height: usize,
    bytes: Vec<u8>,
}

impl LogoImage {
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LogoRefusal> {
        if bytes.is_empty() {
            return Err(LogoRefusal::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoRefusal::TooLarge { size: bytes.len() });
        }
        let (format, image_format) = match image::guess_format(&bytes) {
            Ok(image::ImageFormat::Png) => (LogoFormat::Png, image::ImageFormat::Png),
            Ok(image::ImageFormat::Jpeg) => (LogoFormat::Jpeg, image::ImageFormat::Jpeg),
            Ok(image::ImageFormat::WebP) => (LogoFormat::Webp, image::ImageFormat::WebP),
            _ => return Err(LogoRefusal::Unsupported),
        };
        // The magic number and a header alone would let anything through behind them: every
        // pixel must decode, within limits that the header is checked against first.
        if format == LogoFormat::Jpeg {
            let (width, height) = decode_jpeg(&bytes)?;
            return Ok(Self { format, width, height, bytes });
        }
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_LOGO_SIDE);
        limits.max_image_height = Some(MAX_LOGO_SIDE);
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        let mut reader = image::ImageReader::with_format(Cursor::new(bytes.as_slice()), image_format);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|_| LogoRefusal::Unsupported)?;
        let (width, height) = (decoded.width(), decoded.height());
        drop(decoded);
        if width == 0 || height == 0 {
            return Err(LogoRefusal::Unsupported);
        }
        Ok(Self { format, width: width as usize, height: height as usize, bytes })
    }

    pub fn format(&self) -> LogoFormat {
        self.format
    }

    pub fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A JPEG decoded to its last pixel by zune-jpeg in strict mode (a premature end or a corrupt
/// scan is an error, not grey pixels), at most [`MAX_LOGO_SIDE`] a side. Its memory: the
/// output (3 bytes a pixel, 48 MiB at most) and, for a progressive JPEG, the coefficients of
/// every component (2 bytes a sample), so the header's sampling is checked against
/// [`MAX_DECODE_BYTES`] before any pixel is decoded.
fn decode_jpeg(bytes: &[u8]) -> Result<(usize, usize), LogoRefusal> {
    let side = MAX_LOGO_SIDE as usize;
    let options =
        zune_core::options::DecoderOptions::default().set_strict_mode(true).set_max_width(side).set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|_| LogoRefusal::Unsupported)?;
    let info = decoder.info().ok_or(LogoRefusal::Unsupported)?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    let output = decoder.output_buffer_size().ok_or(LogoRefusal::Unsupported)?;
    let coefficients = if info.sof.is_progressive() { width * height * usize::from(info.components) * 2 } else { 0 };
    if (output + coefficients) as u64 > MAX_DECODE_BYTES {
        return Err(LogoRefusal::Unsupported);
    }
    decoder.decode().map_err(|_| LogoRefusal::Unsupported)?;
    if width == 0 || height == 0 {
        return Err(LogoRefusal::Unsupported);
    }
    Ok((width, height))
}

impl fmt::Debug for LogoImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoImage")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The stored logo of a profile. Every upload gets a new random id: it names the stored object,
/// and it is the `v` of the logo's URL, so the URL of a logo never serves other bytes (and can be
/// cached for good), and the logo of a partner that is not listed is only served to someone who
/// was shown its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    pub id: String,
    pub format: LogoFormat,
}

impl Logo {
    pub fn new(format: LogoFormat) -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Self { id: hex::encode(bytes), format })
    }

    /// Whether `presented` is this logo's id, compared in constant time.
    pub fn is(&self, presented: &str) -> bool {
        self.id.len() == presented.len() && bool::from(self.id.as_bytes().ct_eq(presented.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::TINY_PNG as PNG;

    #[test]
    fn recognises_png_from_the_bytes() {
        let logo = LogoImage::parse(PNG.to_vec()).expect("png");
        assert_eq!(logo.format(), LogoFormat::Png);
        assert_eq!(logo.dimensions(), (1, 1));
    }

    /// A real image of `width` × `height` in `format`, made by the image crate's encoders.
    fn encoded(format: image::ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let pixels = image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 200, 255]));
        let image = match format {
            image::ImageFormat::Jpeg => {
                image::DynamicImage::ImageRgb8(image::DynamicImage::ImageRgba8(pixels).to_rgb8())
            }
            _ => image::DynamicImage::ImageRgba8(pixels),
        };
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A zlib stream of `n` zero bytes, about 160 times smaller: one literal, then copies of
    /// 258 bytes at distance 1, in one block of DEFLATE's fixed Huffman codes (RFC 1951 3.2.6).
    fn zeros_deflated(n: usize) -> Vec<u8> {
        let mut out = vec![0x78, 0x01];
        let (mut acc, mut bits) = (0u64, 0u32);
        let mut put = |out: &mut Vec<u8>, value: u32, len: u32, huffman: bool| {
            // Huffman codes go most significant bit first, everything else least significant first.
            let value = if huffman { value.reverse_bits() >> (32 - len) } else { value };
            acc |= u64::from(value) << bits;
            bits += len;
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        };
        put(&mut out, 0b011, 3, false); // BFINAL, fixed codes
        put(&mut out, 0b0011_0000, 8, true); // literal 0
        for _ in 0..(n - 1) / 258 {
            put(&mut out, 0b1100_0101, 8, true); // length 258
            put(&mut out, 0, 5, true); // distance 1
        }
        for _ in 0..(n - 1) % 258 {
            put(&mut out, 0b0011_0000, 8, true);
        }
        put(&mut out, 0, 7, true); // end of block
        put(&mut out, 0, 7, false); // pad to a byte
        let adler = (((n % 65521) as u32) << 16) | 1;
        out.extend_from_slice(&adler.to_be_bytes());
        out
    }

    /// A valid PNG of `width` × `height` zero pixels (`depth` bits, `color` type), deflated
    /// as tightly as DEFLATE's fixed codes allow: small bytes that decode to many pixels.
    fn zero_png(width: u32, height: u32, depth: u8, color: u8, channels: usize) -> Vec<u8> {
        let row = (width as usize * channels * usize::from(depth)).div_ceil(8);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = png.len();
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            let crc = crc32(&png[start..]);
            png.extend_from_slice(&crc.to_be_bytes());
        };
        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[depth, color, 0, 0, 0]);
        chunk(b"IHDR", &header);
        chunk(b"IDAT", &zeros_deflated((row + 1) * height as usize));
        chunk(b"IEND", &[]);
        png
    }

    #[test]
    fn accepts_whole_png_jpeg_and_webp_images() {
        for (format, expected) in [
            (image::ImageFormat::Png, LogoFormat::Png),
            (image::ImageFormat::Jpeg, LogoFormat::Jpeg),
            (image::ImageFormat::WebP, LogoFormat::Webp),
        ] {
            let logo = LogoImage::parse(encoded(format, 300, 120)).expect("a real image");
            assert_eq!((logo.format(), logo.dimensions()), (expected, (300, 120)));
        }
        // Made by another encoder (Pillow 13: libjpeg and libwebp): a progressive JPEG and a
        // lossy WebP, which the image crate cannot write.
        let progressive = LogoImage::parse(include_bytes!("testdata/progressive.jpg").to_vec()).expect("jpeg");
        assert_eq!((progressive.format(), progressive.dimensions()), (LogoFormat::Jpeg, (16, 8)));
        let lossy = LogoImage::parse(include_bytes!("testdata/lossy.webp").to_vec()).expect("webp");
        assert_eq!((lossy.format(), lossy.dimensions()), (LogoFormat::Webp, (16, 8)));
        let cut = include_bytes!("testdata/progressive.jpg");
        assert_eq!(LogoImage::parse(cut[..cut.len() - 60].to_vec()), Err(LogoRefusal::Unsupported));
        // The largest logo: 4096 pixels a side.
        let largest = LogoImage::parse(zero_png(MAX_LOGO_SIDE, MAX_LOGO_SIDE, 8, 6, 4)).expect("at the limit");
        assert_eq!(largest.dimensions(), (4096, 4096));
    }

    #[test]
    fn refuses_images_that_do_not_decode_to_the_end() {
        // The review's upload: a PNG signature, then a script.
        let mut script = b"\x89PNG\r\n\x1a\n".to_vec();
        script.extend_from_slice(b"<script>alert(document.domain)</script>");
        assert_eq!(LogoImage::parse(script), Err(LogoRefusal::Unsupported));
        for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg, image::ImageFormat::WebP] {
            let whole = encoded(format, 64, 64);
            // Cut short: a header that promises pixels the bytes do not hold.
            let truncated = whole[..whole.len() * 2 / 3].to_vec();
            assert_eq!(LogoImage::parse(truncated), Err(LogoRefusal::Unsupported), "{format:?} truncated");
            // A readable header, then garbage where the pixels should be.
            let mut garbage = whole[..whole.len() / 4].to_vec();
            garbage.extend(std::iter::repeat_n(b"<script>alert(1)</script>".as_slice(), 40).flatten());
            assert_eq!(LogoImage::parse(garbage), Err(LogoRefusal::Unsupported), "{format:?} garbage");
        }
        // The header alone: what the old check (imagesize) accepted.
        let header_only = &zero_png(2, 3, 8, 2, 3)[..33];
        assert_eq!(LogoImage::parse(header_only.to_vec()), Err(LogoRefusal::Unsupported));
    }

    #[test]
    fn refuses_decompression_bombs_before_decoding_them() {
        // The generator makes valid images: a small one decodes.
        assert!(LogoImage::parse(zero_png(64, 64, 1, 0, 1)).is_ok());
        // 16384 × 16384 pixels (268 million, 256 MiB as 8-bit gray) in 211 kB: over the side limit.
        let wide = zero_png(16384, 16384, 1, 0, 1);
        assert!(wide.len() < MAX_LOGO_BYTES, "{}", wide.len());
        assert_eq!(LogoImage::parse(wide), Err(LogoRefusal::Unsupported));
        assert_eq!(LogoImage::parse(zero_png(MAX_LOGO_SIDE + 1, 1, 8, 0, 1)), Err(LogoRefusal::Unsupported));
        assert_eq!(LogoImage::parse(zero_png(1, MAX_LOGO_SIDE + 1, 8, 0, 1)), Err(LogoRefusal::Unsupported));
        // A JPEG header of 4096 × 4096 progressive CMYK: 176 MiB to decode, refused from its header.
        let mut cmyk = vec![0xFF, 0xD8, 0xFF, 0xC2, 0x00, 0x14, 0x08, 0x10, 0x00, 0x10, 0x00, 0x04];
        for id in 1..=4 {
            cmyk.extend_from_slice(&[id, 0x11, 0x00]);
        }
        cmyk.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(LogoImage::parse(cmyk), Err(LogoRefusal::Unsupported));
    }

    #[test]
    fn refuses_svg_text_truncated_headers_and_empty() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#;
        assert_eq!(LogoImage::parse(svg.to_vec()), Err(LogoRefusal::Unsupported));
        assert_eq!(LogoImage::parse(b"GIF89a\x01\x00\x01\x00".to_vec()), Err(LogoRefusal::Unsupported));
        assert_eq!(LogoImage::parse(PNG[..12].to_vec()), Err(LogoRefusal::Unsupported));
        assert_eq!(LogoImage::parse(Vec::new()), Err(LogoRefusal::Empty));
    }

    #[test]
    fn refuses_more_than_one_mebibyte_before_looking_at_it() {
        let mut big = PNG.to_vec();
        big.resize(MAX_LOGO_BYTES, 0);
        assert!(LogoImage::parse(big.clone()).is_ok(), "exactly 1 MiB is allowed");
        big.push(0);
        assert_eq!(LogoImage::parse(big), Err(LogoRefusal::TooLarge { size: MAX_LOGO_BYTES + 1 }));
    }

    #[test]
    fn ids_are_random_and_compared_exactly() {
        let a = Logo::new(LogoFormat::Webp).expect("random");
        let b = Logo::new(LogoFormat::Webp).expect("random");
        assert_ne!(a.id, b.id);
        assert!(a.is(&a.id.clone()));
        assert!(!a.is(&b.id));
        assert!(!a.is(""));
    }
}
