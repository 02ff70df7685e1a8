//! Partner-written text made inert for a mail to someone else: no web address, domain or e-mail
//! address in it stays recognisable to a mail client's autolinker, so the one link a mail
//! offers is Informat's own (issue 21: phishing through the portal's own mails).
//!
//! The rules, per word (a run of characters without white space):
//! - a dot followed by anything but white space, another dot or closing punctuation becomes
//!   `[.]`: `evil.example`, `www.evil.example`, `1.2.3.4`, `💩.la` lose their domain form
//!   (IDN dots such as `。` count as dots). Kept: abbreviations of single letters (`o.a.`,
//!   `d.w.z.`; there is no one-letter top-level domain) and numbers with at most two dots
//!   (`2.0`, `1.500,00`; an IPv4 address has three);
//! - a colon followed by a slash or backslash, or between two characters of which the second is
//!   not a digit, becomes `[:]`: `https://`, `hxxps://`, `mailto:`, `tel:+32` lose their scheme.
//!   Kept: `10:30`, `leerlingen:012345`;
//! - every `@` becomes `[at]` (with a space on each side inside a word).
//!
//! Look-alikes first become what they look like: a character whose compatibility form (NFKC) is
//! one ASCII character is that character (full-width `ｈｔｔｐｓ：／／`, the small and
//! one-dot-leader full stops, mathematical letters), so the rules see them and the reader sees
//! plainly what was written. Characters the input rules refuse (control, format and
//! bidirectional characters; `visible_text`) are shown as U+FFFD should older data hold one,
//! and every line break (`\r\n`, `\r`, `\n`) is one `\n`, so quoting a text line by line
//! cannot be escaped.

use unicode_normalization::UnicodeNormalization as _;

/// The dots that IDNA (UTS 46) maps to a full stop, after NFKC: U+3002 (U+FF61 folds to it).
const IDNA_DOTS: [char; 1] = ['\u{3002}'];

/// Punctuation that may follow the dot ending a sentence or an abbreviation.
const CLOSING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}', '>', '"', '\'', '»', '”', '’', '…'];

/// `text` made inert, line breaks kept (as `\n`).
pub fn inert(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len() + folded.len() / 8);
    let mut word: Vec<char> = Vec::new();
    for c in folded.chars() {
        if c.is_whitespace() {
            inert_word(&word, &mut out);
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    inert_word(&word, &mut out);
    out
}

/// `text` made inert on one line: a line break becomes a space (for a subject, a name).
pub fn inert_line(text: &str) -> String {
    inert(text).replace('\n', " ")
}

/// `text` made inert and quoted for a text part: every line starts with `> ` (an empty line with
/// `>`), so the reader sees where the quoted text begins and ends.
pub fn quoted(text: &str) -> String {
    inert(text)
        .split('\n')
        .map(|line| if line.is_empty() { ">".to_owned() } else { format!("> {line}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Line breaks as `\n`, refused characters as U+FFFD, look-alikes as the ASCII they look like.
fn fold(text: &str) -> String {
    let shown = crate::domain::shown(text);
    let mut out = String::with_capacity(shown.len());
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
            continue;
        }
        let mut compat = std::iter::once(c).nfkc();
        let folded = match (compat.next(), compat.next()) {
            (Some(a), None) if a.is_ascii() && !a.is_ascii_control() => a,
            (Some(a), None) if IDNA_DOTS.contains(&a) => '.',
            _ => c,
        };
        out.push(folded);
    }
    out
}

fn inert_word(word: &[char], out: &mut String) {
    let keep_dots = abbreviation(word) || number(word);
    for (i, &c) in word.iter().enumerate() {
        let previous = i.checked_sub(1).map(|j| word[j]);
        let next = word.get(i + 1).copied();
        match c {
            // Already inert: `[:]`, `[.]`.
            '.' | ':' if previous == Some('[') && next == Some(']') => out.push(c),
            '.' if !keep_dots && next.is_some_and(|n| !CLOSING.contains(&n)) => out.push_str("[.]"),
            ':' if next.is_some_and(|n| matches!(n, '/' | '\\'))
                || (previous.is_some() && next.is_some_and(|n| !n.is_ascii_digit()))
                || (next.is_some() && scheme_before(&word[..i])) =>
            {
                out.push_str("[:]");
            }
            '@' => {
                if previous.is_some() {
                    out.push(' ');
                }
                out.push_str("[at]");
                if next.is_some() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
}

/// The schemes mail clients make links of without `//`, and the usual ones: before a colon they
/// lose it even when a digit follows (`tel:0123`, `http:8080`).
const SCHEMES: [&str; 10] = ["http", "https", "hxxp", "hxxps", "ftp", "ftps", "file", "mailto", "tel", "sms"];

/// Whether `before` (the word up to a colon) ends in one of [`SCHEMES`] after a non-letter.
fn scheme_before(before: &[char]) -> bool {
    let start = before.iter().rposition(|c| !c.is_ascii_alphabetic()).map_or(0, |p| p + 1);
    let letters: String = before[start..].iter().collect::<String>().to_ascii_lowercase();
    SCHEMES.contains(&letters.as_str())
}

/// The word without what surrounds it: leading and trailing characters that are no letter or
/// digit (brackets, quotes, a currency sign, the closing dot).
fn core(word: &[char]) -> &[char] {
    let start = word.iter().position(|c| c.is_alphanumeric()).unwrap_or(word.len());
    let end = word.iter().rposition(|c| c.is_alphanumeric()).map_or(start, |e| e + 1);
    &word[start..end.max(start)]
}

/// `o.a.`, `d.w.z.`, `e.g.`: letters one by one, each followed by a dot.
fn abbreviation(word: &[char]) -> bool {
    let core = core(word);
    core.contains(&'.') && core.split(|c| *c == '.').all(|part| part.len() == 1 && part[0].is_alphabetic())
}

/// `2.0`, `1.500`, `1.500,00`, `2.0.1`: digits (and decimal commas) with at most two dots.
fn number(word: &[char]) -> bool {
    let core = core(word);
    let dots = core.iter().filter(|c| **c == '.').count();
    (1..=2).contains(&dots)
        && core.split(|c| *c == '.').all(|part| {
            !part.is_empty() && part.iter().all(|c| c.is_ascii_digit() || *c == ',') && part[0].is_ascii_digit()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an autolinker like a mail client's finds in `text`: URLs with or without a scheme
    /// and e-mail addresses.
    fn links(text: &str) -> Vec<String> {
        let mut finder = linkify::LinkFinder::new();
        finder.url_must_have_scheme(false);
        finder.links(text).map(|l| l.as_str().to_owned()).collect()
    }

    /// Each sample has links before and none after, and what it becomes.
    #[track_caller]
    fn defangs(raw: &str, expected: &str) {
        assert!(!links(raw).is_empty(), "the sample {raw:?} should hold a link");
        let inert = inert(raw);
        assert_eq!(inert, expected, "{raw:?}");
        assert!(links(&inert).is_empty(), "{raw:?} -> {inert:?} still has {:?}", links(&inert));
    }

    #[test]
    fn schemes_domains_and_addresses_lose_their_form() {
        defangs("https://evil.example/toegang?x=1", "https[:]//evil[.]example/toegang?x=1");
        defangs("http://evil.example", "http[:]//evil[.]example");
        defangs("Zie www.evil.example.", "Zie www[.]evil[.]example.");
        defangs("(evil.example)", "(evil[.]example)");
        defangs("evil.be/pad", "evil[.]be/pad");
        defangs("hulp@evil.example", "hulp [at] evil[.]example");
        defangs("mailto:hulp@evil.example", "mailto[:]hulp [at] evil[.]example");
        defangs("ftp://10.0.0.1/x", "ftp[:]//10[.]0[.]0[.]1/x");
        defangs("<https://evil.example>", "<https[:]//evil[.]example>");
        defangs("HTTPS://EVIL.EXAMPLE", "HTTPS[:]//EVIL[.]EXAMPLE");
        defangs("https://xn--nformat-7ve.be", "https[:]//xn--nformat-7ve[.]be");
    }

    #[test]
    fn look_alikes_are_shown_as_what_they_look_like_and_defanged() {
        // Full-width letters, colon, slashes and dot.
        assert_eq!(inert("ｈｔｔｐｓ：／／evil．example"), "https[:]//evil[.]example");
        // The ideographic (and half-width ideographic) full stop is a dot to IDNA.
        assert_eq!(inert("evil\u{3002}example evil\u{FF61}example"), "evil[.]example evil[.]example");
        // The one-dot leader and small full stop, a full-width at sign, mathematical letters.
        assert_eq!(
            inert("evil\u{2024}example evil\u{FE52}be hulp\u{FF20}evil"),
            "evil[.]example evil[.]be hulp [at] evil"
        );
        assert_eq!(inert("\u{1D421}\u{1D42D}\u{1D42D}\u{1D429}://x.be"), "http[:]//x[.]be");
        // Already defanged or misspelt schemes stay inert.
        assert_eq!(inert("hxxps://evil.example"), "hxxps[:]//evil[.]example");
        assert_eq!(inert("https[:]//evil[.]example"), "https[:]//evil[.]example");
        assert_eq!(inert("https:\\\\evil.example"), "https[:]\\\\evil[.]example");
        // A combining mark after the dot, an emoji domain, a protocol-relative address.
        assert_eq!(inert("evil.\u{301}example"), "evil[.]\u{301}example");
        assert_eq!(inert("\u{1F4A9}.la"), "\u{1F4A9}[.]la");
        assert_eq!(inert("//evil.example"), "//evil[.]example");
        for raw in [
            "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ",
            "ｗｗｗ．ｅｖｉｌ．ｅｘａｍｐｌｅ",
            "ｈｕｌｐ＠ｅｖｉｌ．ｅｘａｍｐｌｅ",
        ] {
            let inert = inert(raw);
            assert!(links(&inert).is_empty() && !inert.contains("evil.example"), "{raw} -> {inert}");
        }
    }

    #[test]
    fn other_schemes_lose_their_colon() {
        assert_eq!(
            inert("tel:+3231234567 sms:+32 javascript:alert(1) data:text/html"),
            "tel[:]+3231234567 sms[:]+32 javascript[:]alert(1) data[:]text/html"
        );
        assert_eq!(inert("localhost:8080/x leerlingen:012345"), "localhost:8080/x leerlingen:012345");
        assert_eq!(inert("tel:0123 http:8080 (mailto:1@x)"), "tel[:]0123 http[:]8080 (mailto[:]1 [at] x)");
        assert_eq!(inert("http://localhost:8080/x"), "http[:]//localhost:8080/x");
    }

    #[test]
    fn ordinary_text_reads_as_before() {
        for text in [
            "Plant lessen op basis van de leerlingenlijsten.",
            "Werkt o.a. met Smartschool, d.w.z. ook e.g. voor (p.m.) kleuters.",
            "Versie 2.0 kost € 1.500,00 per jaar; 2.0.1 volgt.",
            "Om 10:30 synchroniseert leerlingen:012345. Stap 1: aanmelden!",
            "Wacht... dan. Einde.) \"Klaar.\"",
            "Één app voor élke school.\n\nOok voor \"Ærø\" & co.\t✔\u{FE0F} 👩\u{200D}💻 🇧🇪",
        ] {
            assert_eq!(inert(text), text);
        }
    }

    #[test]
    fn line_breaks_are_one_kind_and_quoting_covers_every_line() {
        assert_eq!(inert("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(
            quoted("Eerste regel\r\rDerde: https://evil.example"),
            "> Eerste regel\n>\n> Derde: https[:]//evil[.]example"
        );
        assert_eq!(inert_line("Naam\nop twee regels"), "Naam op twee regels");
        // A line separator or a control character cannot start a line of its own.
        assert_eq!(quoted("a\u{2028}b\u{85}c"), "> a\u{FFFD}b\u{FFFD}c");
        assert_eq!(inert("Rechts\u{202E}lpmaxe.live"), "Rechts\u{FFFD}lpmaxe[.]live");
    }

    #[test]
    fn numbers_like_addresses_are_defanged() {
        assert_eq!(inert("1.2.3.4"), "1[.]2[.]3[.]4");
        assert_eq!(inert("1.2.evil"), "1[.]2[.]evil");
        assert_eq!(inert("v2.0"), "v2[.]0");
        assert_eq!(inert("a.b.com www.b.c"), "a[.]b[.]com www[.]b[.]c");
    }
}
