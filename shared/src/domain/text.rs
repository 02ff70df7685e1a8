//! What every text field of every input must hold (api.md, conventions): no control characters,
//! no invisible characters (zero-width, soft hyphen, BOM, ...) and no bidirectional controls;
//! and the one rule that says when two profile names are the same name.
//!
//! Refused, in every text field: control characters other than tab and line breaks (C0, DEL,
//! C1), format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, BOM,
//! the bidirectional marks, embeddings, overrides and isolates, tags), the line and paragraph
//! separators U+2028/U+2029, and every other Default_Ignorable_Code_Point (Hangul fillers,
//! variation selectors, the combining grapheme joiner). Those either show nothing or change how
//! the text around them is shown, so they make look-alike names and misleading text.
//! Two exceptions keep emoji working: a presentation selector (U+FE0E, U+FE0F) right after an
//! emoji, and a zero-width joiner between two pictographs (👩‍💻).
//!
//! Kept, and normalised: combining accents are ordinary text (`e` + U+0301 is `é`), so text is
//! stored in NFC, which changes nothing a person sees.

use icu_properties::props::{DefaultIgnorableCodePoint, Emoji, ExtendedPictographic, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};
use sha2::{Digest as _, Sha256};
use unicode_normalization::UnicodeNormalization as _;

use super::FieldError;

const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Whether `c` may not appear in text, with the character before and after it.
fn refused(before: Option<char>, c: char, after: Option<char>) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    let pictograph = |c: char| CodePointSetData::new::<ExtendedPictographic>().contains(c);
    // A skin tone (U+1F3FB..U+1F3FF) ends an emoji that a joiner may continue: 🧑🏽‍💻.
    let emoji_end = |c: char| pictograph(c) || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c);
    match c {
        '\u{FE0E}' | '\u{FE0F}' if before.is_some_and(|b| CodePointSetData::new::<Emoji>().contains(b)) => {
            return false;
        }
        ZERO_WIDTH_JOINER if before.is_some_and(emoji_end) && after.is_some_and(pictograph) => return false,
        _ => {}
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
    ) || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// Refuses text with a character that is invisible or steers how text is shown (see the module
/// documentation); the message says which character and where, since a person cannot see it.
pub fn visible_text(field: &'static str, value: &str) -> Result<(), FieldError> {
    let chars: Vec<char> = value.chars().collect();
    // After a presentation selector, what counts as "before" for a joiner is the emoji it shows.
    let mut base: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        if refused(base, c, chars.get(i + 1).copied()) {
            return Err(FieldError::new(
                field,
                "invalid_characters",
                format!(
                    "Dit veld bevat een onzichtbaar teken of een stuurteken (U+{:04X}, teken {} van {}). Verwijder het: typ de tekst opnieuw in plaats van hem te plakken.",
                    u32::from(c),
                    i + 1,
                    chars.len()
                ),
            ));
        }
        if !matches!(c, '\u{FE0E}' | '\u{FE0F}') {
            base = Some(c);
        }
    }
    Ok(())
}

/// `value` with every character [`visible_text`] refuses replaced by U+FFFD, for showing text
/// that may predate the input rules (a mail quoting a partner): what steered the display or
/// broke a line is then a visible mark, and nothing else changes.
pub fn shown(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut base: Option<char> = None;
    let mut out = String::with_capacity(value.len());
    for (i, &c) in chars.iter().enumerate() {
        out.push(if refused(base, c, chars.get(i + 1).copied()) { '\u{FFFD}' } else { c });
        if !matches!(c, '\u{FE0E}' | '\u{FE0F}') {
            base = Some(c);
        }
    }
    out
}

/// Text as stored: Unicode NFC, so a letter with a combining accent and the same letter
/// precomposed are stored alike (nothing a person sees changes).
pub fn nfc(value: &str) -> String {
    value.nfc().collect()
}

/// The key that makes a profile name unique (api.md ProfileInput): Unicode NFKC, full case
/// folding, white space collapsed, then the confusable skeleton of Unicode TR39 (look-alike
/// characters of other scripts mapped to one prototype), folded again so that prototypes that
/// differ only in case (`0` becomes `O`) meet. Hashed (SHA-256, hex), because NFKC and the
/// skeleton can make a 200-character name many times longer than a table key may be.
pub fn name_key(name: &str) -> String {
    hex::encode(Sha256::digest(skeleton(name).as_bytes()))
}

/// The text under [`name_key`]'s hash: small capitals as their letters, NFKC, full case folding,
/// white space collapsed, the TR39 skeleton, folded again.
fn skeleton(name: &str) -> String {
    let plain: String = name.chars().flat_map(small_capital).collect();
    let folded: String = caseless::default_case_fold_str(&plain.nfkc().collect::<String>()).nfkc().collect();
    let collapsed = collapse(&folded);
    let skeleton: String = unicode_security::skeleton(&collapsed).collect();
    collapse(&caseless::default_case_fold_str(&skeleton).nfkc().collect::<String>())
}

/// A Latin small capital as the letters it shows (`ᴘᴀʀᴛɴᴇʀ` reads as "partner"). NFKC leaves
/// these alone and TR39's confusables map only some of them, so "ᴘᴀʀᴛɴᴇʀ" would otherwise be a
/// name of its own. The table is every character whose Unicode name is "LATIN LETTER SMALL
/// CAPITAL <letters>" (Python: `unicodedata.name`), with a hook, bar or stroke read as the plain
/// letter; the reversed and turned ones, which do not read as a letter, stay.
fn small_capital(c: char) -> Vec<char> {
    let letters = match c {
        'ᴀ' => "a",
        'ʙ' | 'ᴃ' => "b",
        'ᴄ' => "c",
        'ᴅ' => "d",
        'ᴇ' => "e",
        'ꜰ' => "f",
        'ɢ' | 'ʛ' => "g",
        'ʜ' => "h",
        'ɪ' => "i",
        'ᴊ' => "j",
        'ᴋ' => "k",
        'ʟ' | 'ᴌ' | '\u{1DF04}' => "l",
        'ᴍ' => "m",
        'ɴ' => "n",
        'ᴏ' => "o",
        'ᴘ' => "p",
        'ꞯ' => "q",
        'ʀ' => "r",
        'ꜱ' => "s",
        'ᴛ' => "t",
        'ᴜ' => "u",
        'ᴠ' => "v",
        'ᴡ' => "w",
        'ʏ' => "y",
        'ᴢ' => "z",
        'ᴁ' => "ae",
        'ɶ' => "oe",
        'ᴕ' => "ou",
        other => return vec![other],
    };
    letters.chars().collect()
}

/// Whether a name presents itself as Informat (the portal's operator, whose name in a partner's
/// profile would lend its mails and directory entry Informat's authority): "Informat",
/// "Informat Helpdesk", "INF0RMAT", "ɪɴꜰᴏʀᴍᴀᴛ", "Ínformat", "I.n.f.o.r.m.a.t", "InformatSoftware".
/// A word of its own that reads as "informat" (look-alikes, accents and small capitals as in
/// [`name_key`]), or a name whose letters run together read "informat" followed by nothing or by
/// one of the words Informat's own services go by. Words that merely begin with those letters
/// ("Informatica", "Informatie") are ordinary Dutch and stay allowed.
pub fn claims_informat(name: &str) -> bool {
    // TR39 makes a capital I and a small l one prototype, but case folding comes first here, so
    // "lnformat" and "Informat" would still differ: l and i are one letter for this check.
    let read = |text: &str| skeleton(text).replace('l', "i");
    let informat = read("informat");
    let bare: String = ascii_fold(name).collect();
    let text = read(&bare);
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.contains(&informat.as_str()) {
        return true;
    }
    let joined: String = words.concat();
    joined.strip_prefix(informat.as_str()).is_some_and(|rest| {
        ["", "helpdesk", "support", "software", "schoolsoftware", "partnerportaal", "partners", "nv", "bv", "be"]
            .iter()
            .any(|suffix| read(suffix) == rest)
    })
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The ASCII letters and digits under a name, for URLs: compatibility decomposition takes
/// accents and full-width forms off (`Ｐ` is `P`, `é` is `e`).
pub fn ascii_fold(value: &str) -> impl Iterator<Item = char> + '_ {
    value.nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str) -> Option<&'static str> {
        visible_text("name", value).err().map(|e| e.code)
    }

    #[test]
    fn refuses_invisible_and_steering_characters() {
        for (what, value) in [
            ("zero-width space", "Part\u{200B}ner"),
            ("zero-width non-joiner", "Part\u{200C}ner"),
            ("zero-width joiner between letters", "Part\u{200D}ner"),
            ("word joiner", "Part\u{2060}ner"),
            ("soft hyphen", "Part\u{AD}ner"),
            ("byte order mark", "\u{FEFF}Partner"),
            ("right-to-left override", "Partner \u{202E}gnp.exe"),
            ("left-to-right mark", "Partner\u{200E}"),
            ("right-to-left isolate", "\u{2067}Partner\u{2069}"),
            ("arabic letter mark", "Partner\u{61C}"),
            ("hangul filler", "\u{3164}"),
            ("combining grapheme joiner", "Part\u{34F}ner"),
            ("variation selector after a letter", "Partner\u{FE0F}"),
            ("tag character", "Partner\u{E0041}"),
            ("escape", "Partner\u{1B}[31m"),
            ("NUL", "Partner\u{0}"),
            ("DEL", "Partner\u{7F}"),
            ("C1 control", "Partner\u{85}"),
            ("line separator", "Partner\u{2028}BV"),
            ("zero-width space alone", "\u{200B}"),
        ] {
            assert_eq!(code(value), Some("invalid_characters"), "{what}");
        }
        let message = visible_text("name", "Ab\u{200B}").expect_err("refused").message;
        assert!(message.contains("U+200B") && message.contains("teken 3 van 3"), "{message}");
    }

    #[test]
    fn keeps_what_people_write() {
        for value in [
            "Één École & Co.",
            "L'Oréal België",
            "Ça va, Gérard? Ja: 100% Ñandú «Straße»",
            "e\u{301}cole",
            "Ærø Øresund",
            "Software voor scholen.\n\nTweede alinea,\tmet tab.\r\n",
            "Prijs: 5 € – „citaat” ‘enkel’",
            "Ｐartner",
            "Partner\u{A0}BV",
            "❤\u{FE0F} ✔\u{FE0F} 1\u{FE0F}\u{20E3} 👩\u{200D}💻 🧑\u{1F3FD}\u{200D}💻 🏳\u{FE0F}\u{200D}🌈 👍\u{1F3FD} 🇧🇪",
            "日本語 Ελληνικά Русский עברית العربية",
        ] {
            assert_eq!(code(value), None, "{value:?}");
        }
    }

    fn same(a: &str, b: &str) -> bool {
        name_key(a) == name_key(b)
    }

    #[test]
    fn look_alike_names_are_one_name() {
        for (what, look_alike) in [
            ("cyrillic Р", "\u{420}artner"),
            ("cyrillic а", "P\u{430}rtner"),
            ("full-width Ｐ", "\u{FF30}artner"),
            ("case", "PARTNER"),
            ("mathematical bold", "\u{1D40F}artner"),
        ] {
            assert!(same("Partner", look_alike), "{what}");
        }
        assert!(same("Café", "Cafe\u{301}"), "combining accent");
        assert!(same("Straße BV", "STRASSE BV"), "full case folding");
        assert!(same("G00gle", "Google"), "digit zero and letter o");
        assert!(same("G\u{3BF}\u{3BF}gle", "Google"), "greek omicron");
        assert!(same("App1e", "Apple"), "digit one and letter l");
        assert!(same("ﬁnance", "finance"), "ligature");
        assert!(same("Plantyn  Software", "plantyn software"), "spaces");
    }

    #[test]
    fn small_capitals_are_their_letters() {
        assert!(same("Partner", "\u{1D18}\u{1D00}\u{280}\u{1D1B}\u{274}\u{1D07}\u{280}"), "ᴘᴀʀᴛɴᴇʀ");
        assert!(same("Plantyn", "ᴘʟᴀɴᴛʏɴ"), "ᴘʟᴀɴᴛʏɴ");
        assert!(same("Quick Brown Fox Jumps Over Lazy Dog", "ꞯᴜɪᴄᴋ ʙʀᴏᴡɴ ꜰᴏx ᴊᴜᴍᴘꜱ ᴏᴠᴇʀ ʟᴀᴢʏ ᴅᴏɢ"), "every letter");
        assert!(same("Partner", "Pᴀrtner"), "one small capital among ordinary letters");
        assert!(!same("Partner", "ᴘᴀʀᴛɴᴇʀs"), "a letter more is another name");
    }

    #[test]
    fn names_that_claim_to_be_informat() {
        for name in [
            "Informat",
            "informat",
            "INFORMAT",
            "Informat Helpdesk",
            "Helpdesk Informat",
            "Informat-helpdesk",
            "InformatHelpdesk",
            "Informat Software",
            "InformatSoftware",
            "Informat NV",
            "I.n.f.o.r.m.a.t",
            "I n f o r m a t",
            "Inf0rmat",
            "lnformat",
            "Ínformat",
            "Ｉｎｆｏｒｍａｔ",
            "ɪɴꜰᴏʀᴍᴀᴛ",
            "\u{406}nformat",
            "Inform\u{430}t Support",
            "Team Informat's",
        ] {
            assert!(claims_informat(name), "{name}");
        }
        for name in [
            "Informatica Solutions",
            "Informatie op maat",
            "Plantyn",
            "Format BV",
            "Smartschool",
            "Informaticabedrijf Peeters",
        ] {
            assert!(!claims_informat(name), "{name}");
        }
    }

    #[test]
    fn different_names_stay_different() {
        assert!(!same("Partner", "Partners"));
        assert!(!same("Café", "Cafe"), "an accent is part of the name");
        assert!(!same("Plantyn Software", "Plantyn-Software"));
        assert!(!same("Planner 1", "Planner 2"));
        assert_eq!(name_key("Partner").len(), 64);
        // The longest names NFKC can make still give a key of fixed length.
        assert_eq!(name_key(&"\u{FDFA}".repeat(200)).len(), 64);
    }

    #[test]
    fn nfc_composes_accents() {
        assert_eq!(nfc("Cafe\u{301}"), "Café");
        assert_eq!(nfc("Ｐartner"), "Ｐartner", "NFC keeps compatibility forms");
    }

    #[test]
    fn ascii_fold_takes_accents_and_width_off() {
        assert_eq!(ascii_fold("Één Ｐartner e\u{301}").collect::<String>(), "Een Partner e");
    }
}
