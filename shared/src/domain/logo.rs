//! A partner's logo (manual 3.2.3: "Afbeelding van max. 1 MB"): PNG, JPEG or WebP, recognised
//! from the bytes themselves. The Content-Type a client sends is not trusted, and SVG (which can
//! carry scripts) is never accepted.

use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// The largest logo the portal stores: 1 MiB (api.md).
pub const MAX_LOGO_BYTES: usize = 1_048_576;

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
    /// Not PNG, JPEG or WebP, or a header that cannot be read.
    #[error("not a PNG, JPEG or WebP image")]
    Unsupported,
}

/// Uploaded bytes that are a readable PNG, JPEG or WebP image of at most [`MAX_LOGO_BYTES`].
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
        let format = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Png) => LogoFormat::Png,
            Ok(imagesize::ImageType::Jpeg) => LogoFormat::Jpeg,
            Ok(imagesize::ImageType::Webp) => LogoFormat::Webp,
            _ => return Err(LogoRefusal::Unsupported),
        };
        // The magic number alone would let a truncated or forged header through: the
        // dimensions must be readable too.
        let size = imagesize::blob_size(&bytes).map_err(|_| LogoRefusal::Unsupported)?;
        if size.width == 0 || size.height == 0 {
            return Err(LogoRefusal::Unsupported);
        }
        Ok(Self { format, width: size.width, height: size.height, bytes })
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
