//! The mails the portal sends, rendered from the templates in `shared/templates/` (a text and an
//! HTML part each, in Dutch). HTML templates escape what they insert.
//!
//! What a partner wrote and a mail takes to someone else (a school administrator, the
//! application's contact) is made inert ([`inert`]) and, in the access request, quoted as the
//! partner's: the mail's one link is then Informat's own.

mod inert;

use std::sync::LazyLock;

use minijinja::{Environment, context};

use crate::domain::{Email, SecretToken, TokenPurpose};
use crate::ports::{Mailer, OutgoingMail};

pub use inert::{inert, inert_line, quoted};

pub const ACTIVATION_SUBJECT: &str = "Informat \u{2013} Activeer je partneraccount";
pub const ACCOUNT_EXISTS_SUBJECT: &str = "Informat \u{2013} Je partneraccount bestaat al";
pub const PASSWORD_RESET_SUBJECT: &str = "Informat \u{2013} Kies een nieuw wachtwoord";
pub const PROFILE_CHANGED_SUBJECT: &str = "Informat \u{2013} Je partnerprofiel werd gewijzigd";
pub const PARTNER_DEACTIVATED_SUBJECT: &str = "Je partnerprofiel in het Informat Partnerportaal is gedeactiveerd";
pub const PARTNER_ACTIVATED_SUBJECT: &str = "Je partnerprofiel in het Informat Partnerportaal is opnieuw geactiveerd";
pub const USER_LINKED_SUBJECT: &str = "Informat \u{2013} Er werd een gebruiker gekoppeld aan je partnerprofiel";
/// The manual's subject (3.4), with the application's name after it.
pub const ACCESS_REQUEST_SUBJECT: &str = "Informat Partnerportaal - Datatoegang voor applicatie";

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.html", include_str!("../templates/layout.html")),
        ("activation.html", include_str!("../templates/activation.html")),
        ("activation.txt", include_str!("../templates/activation.txt")),
        ("account_exists.html", include_str!("../templates/account_exists.html")),
        ("account_exists.txt", include_str!("../templates/account_exists.txt")),
        ("password_reset.html", include_str!("../templates/password_reset.html")),
        ("password_reset.txt", include_str!("../templates/password_reset.txt")),
        ("profile_changed.html", include_str!("../templates/profile_changed.html")),
        ("profile_changed.txt", include_str!("../templates/profile_changed.txt")),
        ("partner_activation.html", include_str!("../templates/partner_activation.html")),
        ("partner_activation.txt", include_str!("../templates/partner_activation.txt")),
        ("user_linked.html", include_str!("../templates/user_linked.html")),
        ("user_linked.txt", include_str!("../templates/user_linked.txt")),
        ("application_changed.html", include_str!("../templates/application_changed.html")),
        ("application_changed.txt", include_str!("../templates/application_changed.txt")),
        ("access_request.html", include_str!("../templates/access_request.html")),
        ("access_request.txt", include_str!("../templates/access_request.txt")),
        ("contact_confirmation.html", include_str!("../templates/contact_confirmation.html")),
        ("contact_confirmation.txt", include_str!("../templates/contact_confirmation.txt")),
    ] {
        // A template that does not parse is a build defect; the unit tests below render each one.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "mail template does not parse");
        }
    }
    env
});

fn render(
    name: &str,
    subject: &str,
    from: &Email,
    to: &Email,
    ctx: minijinja::Value,
) -> Result<OutgoingMail, minijinja::Error> {
    let ctx = context! { subject => subject, ..ctx };
    let text = TEMPLATES.get_template(&format!("{name}.txt"))?.render(&ctx)?;
    let html = TEMPLATES.get_template(&format!("{name}.html"))?.render(&ctx)?;
    Ok(OutgoingMail { from: from.clone(), to: vec![to.clone()], subject: subject.to_owned(), text, html })
}

/// Sends a mail whose action is already stored. A failed send is logged, never lost work: the
/// action stands, and the person can ask again or find it in the logs.
/// Whether it left.
pub async fn deliver(mailer: &dyn Mailer, kind: &'static str, mail: &OutgoingMail) -> bool {
    match mailer.send(mail).await {
        Ok(()) => {
            tracing::info!(mail = kind, outcome = "sent", "mail sent");
            true
        }
        Err(e) => {
            tracing::error!(mail = kind, outcome = "send_failed", error = %e, "mail could not be sent");
            false
        }
    }
}

/// A link into the portal's front end carrying a single-use token.
pub fn token_link(portal_url: &str, page: &str, token: &SecretToken) -> String {
    format!("{}/{page}?token={}", portal_url.trim_end_matches('/'), token.expose())
}

pub fn activation(from: &Email, to: &Email, link: &str) -> Result<OutgoingMail, minijinja::Error> {
    let valid_days = TokenPurpose::Activation.lifetime().num_days();
    render("activation", ACTIVATION_SUBJECT, from, to, context! { link, valid_days })
}

pub fn account_exists(from: &Email, to: &Email, portal_url: &str) -> Result<OutgoingMail, minijinja::Error> {
    let base = portal_url.trim_end_matches('/');
    let sign_in_url = format!("{base}/aanmelden");
    let forgot_url = format!("{base}/wachtwoord-vergeten");
    render("account_exists", ACCOUNT_EXISTS_SUBJECT, from, to, context! { sign_in_url, forgot_url })
}

pub fn password_reset(from: &Email, to: &Email, link: &str, activates: bool) -> Result<OutgoingMail, minijinja::Error> {
    let valid_minutes = TokenPurpose::PasswordReset.lifetime().num_minutes();
    let account = "partneraccount";
    render("password_reset", PASSWORD_RESET_SUBJECT, from, to, context! { link, activates, valid_minutes, account })
}

/// "Wachtwoord vergeten?" of the back office: the same mail, for a moderator's account, its link
/// into the back office.
pub fn staff_password_reset(from: &Email, to: &Email, link: &str) -> Result<OutgoingMail, minijinja::Error> {
    let valid_minutes = TokenPurpose::PasswordReset.lifetime().num_minutes();
    let account = "account voor het beheer van het Partnerportaal";
    render(
        "password_reset",
        PASSWORD_RESET_SUBJECT,
        from,
        to,
        context! { link, activates => false, valid_minutes, account },
    )
}

/// To the profile's email: what changed, by whom, when.
pub fn profile_changed(
    from: &Email,
    to: &Email,
    profile: &str,
    user: &str,
    at: chrono::DateTime<chrono::Utc>,
    changes: &[crate::domain::LogEntry],
    portal_url: &str,
) -> Result<OutgoingMail, minijinja::Error> {
    let changes: Vec<minijinja::Value> = changes
        .iter()
        .map(|c| context! { property => c.property.as_str(), from => c.from.as_deref(), to => c.to.as_deref() })
        .collect();
    let at = at.format("%Y-%m-%d %H:%M:%S").to_string();
    let profile_url = format!("{}/profiel", portal_url.trim_end_matches('/'));
    render("profile_changed", PROFILE_CHANGED_SUBJECT, from, to, context! { profile, user, at, changes, profile_url })
}

/// To the profile's email: Informat deactivated the profile, for `reason` (`Some`), or activated
/// it again (`None`), when.
pub fn partner_activation(
    from: &Email,
    to: &Email,
    profile: &str,
    reason: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
    portal_url: &str,
) -> Result<OutgoingMail, minijinja::Error> {
    let at = at.format("%Y-%m-%d %H:%M:%S").to_string();
    let profile_url = format!("{}/profiel", portal_url.trim_end_matches('/'));
    let subject = if reason.is_some() { PARTNER_DEACTIVATED_SUBJECT } else { PARTNER_ACTIVATED_SUBJECT };
    let deactivated = reason.is_some();
    render("partner_activation", subject, from, to, context! { profile, deactivated, reason, at, profile_url })
}

/// To the profile's email: an account was linked to the profile with an invitation code (manual
/// 3.2.2), by whose code, when.
pub fn user_linked(
    from: &Email,
    to: &Email,
    profile: &str,
    user: &str,
    invited_by: &str,
    at: chrono::DateTime<chrono::Utc>,
    portal_url: &str,
) -> Result<OutgoingMail, minijinja::Error> {
    let at = at.format("%Y-%m-%d %H:%M:%S").to_string();
    let profile_url = format!("{}/profiel", portal_url.trim_end_matches('/'));
    render("user_linked", USER_LINKED_SUBJECT, from, to, context! { profile, user, invited_by, at, profile_url })
}

/// The mail to a school administrator (manual 3.4): who asks access to which data, and the
/// link, valid one month. Everything the partner wrote (its name, the application's name and
/// description, the requester's address) is inert and stands in a quote marked as the
/// partner's; the link below it is the mail's only one.
#[allow(clippy::too_many_arguments)]
pub fn access_request(
    from: &Email,
    to: &Email,
    application: &crate::domain::Application,
    partner: &str,
    requested_by: &str,
    link: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<OutgoingMail, minijinja::Error> {
    let name = inert_line(&application.fields.name);
    let subject = format!("{ACCESS_REQUEST_SUBJECT} {name}");
    let apis: Vec<&str> = application.fields.apis.iter().map(|a| a.label()).collect();
    let description = inert(&application.fields.description);
    let description_lines: Vec<String> = description.split('\n').map(str::to_owned).collect();
    render(
        "access_request",
        &subject,
        from,
        to,
        context! {
            application => name,
            description_quoted => quoted(&application.fields.description),
            description_lines,
            partner => inert_line(partner),
            requested_by => inert_line(requested_by),
            apis,
            link,
            expires => expires_at.format("%Y-%m-%d").to_string(),
        },
    )
}

/// The subject of the mail that asks an application's contact to confirm its address.
pub const CONTACT_CONFIRMATION_SUBJECT: &str =
    "Informat Partnerportaal \u{2013} Bevestig je e-mailadres als contact van een applicatie";

/// The one mail an unconfirmed contact email gets (issue 21): who gave the address, and the
/// link that confirms it. What the partner wrote is inert and quoted; the link is the only one.
pub fn contact_confirmation(
    from: &Email,
    to: &Email,
    application: &str,
    partner: &str,
    user: &str,
    link: &str,
) -> Result<OutgoingMail, minijinja::Error> {
    let valid_days = crate::domain::CONTACT_LINK_LIFETIME.num_days();
    render(
        "contact_confirmation",
        CONTACT_CONFIRMATION_SUBJECT,
        from,
        to,
        context! {
            application => inert_line(application),
            partner => inert_line(partner),
            user => inert_line(user),
            link,
            valid_days,
        },
    )
}

/// What happened to an application, for [`application_changed`].
pub struct ApplicationEvent<'a> {
    /// The subject's ending and the mail's first sentence: "werd goedgekeurd".
    pub what: &'a str,
    pub headline: &'a str,
    pub application: &'a crate::domain::Application,
    pub partner: &'a str,
    pub user: &'a str,
    pub changes: &'a [crate::domain::LogEntry],
}

/// The mail to the partner's email and the application's contact (manual 3.3.3: both hear of
/// changes to the app and of its scopes). One mail, both addresses, each once.
pub fn application_changed(
    from: &Email,
    to: &[Email],
    event: &ApplicationEvent<'_>,
    portal_url: &str,
) -> Result<OutgoingMail, minijinja::Error> {
    let app = event.application;
    // The contact's address is the partner's to choose: what the partner wrote is inert.
    let name = inert_line(&app.fields.name);
    let subject = format!("Informat Partnerportaal \u{2013} Applicatie {name} {}", event.what);
    let changes: Vec<minijinja::Value> = event
        .changes
        .iter()
        .map(|c| {
            context! {
                property => c.property.as_str(),
                from => c.from.as_deref().map(inert_line),
                to => c.to.as_deref().map(inert_line),
            }
        })
        .collect();
    let at = event.changes.first().map(|c| c.at).unwrap_or(app.updated_at).format("%Y-%m-%d %H:%M:%S").to_string();
    let ctx = context! {
        subject => subject.as_str(),
        headline => event.headline,
        application => name,
        partner => inert_line(event.partner),
        status => app.status.label(),
        client_id => app.client_id.as_ref().map(|c| c.as_str()),
        reason => app.rejection_reason.as_deref(),
        user => inert_line(event.user),
        at,
        changes,
        application_url => format!("{}/applicaties/{}", portal_url.trim_end_matches('/'), app.id),
    };
    let text = TEMPLATES.get_template("application_changed.txt")?.render(&ctx)?;
    let html = TEMPLATES.get_template("application_changed.html")?.render(&ctx)?;
    let mut recipients: Vec<Email> = Vec::new();
    for address in to {
        if !recipients.contains(address) {
            recipients.push(address.clone());
        }
    }
    Ok(OutgoingMail { from: from.clone(), to: recipients, subject, text, html })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Email {
        Email::parse("email", s).expect("email")
    }

    #[test]
    fn activation_mail_has_both_parts_and_the_link() {
        let token = SecretToken::generate().expect("random");
        let link = token_link("https://partners.example/", "activeren", &token);
        assert!(link.starts_with("https://partners.example/activeren?token="));
        let mail = activation(&addr("info@informat.be"), &addr("a@school.be"), &link).expect("render");
        assert_eq!(mail.subject, "Informat – Activeer je partneraccount");
        assert!(mail.text.contains(&link));
        // The HTML part escapes the link (`/` becomes `&#x2f;`); the token itself is in it as is.
        assert!(mail.html.contains(token.expose()));
        assert!(mail.text.contains("7 dagen"));
        assert!(mail.html.contains("<title>Informat – Activeer je partneraccount</title>"));
    }

    #[test]
    fn a_contact_confirmation_quotes_the_partner_and_has_one_link() {
        let link = "https://partners.example/contact-bevestigen/app-1/abc";
        let mail = contact_confirmation(
            &addr("info@informat.be"),
            &addr("iemand@elders.be"),
            "Klik https://evil.example",
            "Evil BV",
            "jan@evil.example",
            link,
        )
        .expect("render");
        assert_eq!(mail.subject, CONTACT_CONFIRMATION_SUBJECT);
        assert!(mail.text.contains(link) && mail.text.contains("7 dagen"));
        assert!(mail.text.contains("> Applicatie: Klik https[:]//evil[.]example"), "{}", mail.text);
        assert!(mail.text.contains("> Opgegeven door: jan [at] evil[.]example"), "{}", mail.text);
        assert!(!mail.text.contains("https://evil") && !mail.html.contains("https://evil"));
    }

    #[test]
    fn html_escapes_what_it_inserts() {
        let mail = activation(&addr("info@informat.be"), &addr("a@school.be"), "https://x/?a=<b>").expect("render");
        assert!(mail.html.contains("a=&lt;b&gt;"), "{}", mail.html);
        assert!(mail.text.contains("https://x/?a=<b>"));
    }

    #[test]
    fn reset_mail_says_when_it_also_activates() {
        let from = addr("info@informat.be");
        let to = addr("a@school.be");
        let plain = password_reset(&from, &to, "https://x/r", false).expect("render");
        let activating = password_reset(&from, &to, "https://x/r", true).expect("render");
        assert!(!plain.text.contains("geactiveerd"));
        assert!(activating.text.contains("meteen ook geactiveerd"));
        assert!(activating.html.contains("meteen ook geactiveerd"));
        assert!(plain.text.contains("60 minuten"));
    }

    #[test]
    fn account_exists_mail_points_to_sign_in_and_reset() {
        let mail =
            account_exists(&addr("info@informat.be"), &addr("a@school.be"), "https://p.example").expect("render");
        assert!(mail.text.contains("https://p.example/aanmelden"));
        assert!(mail.html.contains("wachtwoord-vergeten"));
    }

    #[test]
    fn user_linked_mail_names_the_user_the_inviter_and_the_profile() {
        let at =
            chrono::DateTime::parse_from_rfc3339("2026-05-07T13:53:16Z").expect("time").with_timezone(&chrono::Utc);
        let mail = user_linked(
            &addr("info@informat.be"),
            &addr("eigenaar@voorbeeld.be"),
            "Planner <BV>",
            "collega@voorbeeld.be",
            "eigenaar@voorbeeld.be",
            at,
            "https://p.example/",
        )
        .expect("render");
        assert_eq!(mail.subject, USER_LINKED_SUBJECT);
        assert_eq!(mail.to, [addr("eigenaar@voorbeeld.be")]);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("collega@voorbeeld.be") && part.contains("2026-05-07 13:53:16"), "{part}");
        }
        assert!(mail.text.contains("Planner <BV>") && mail.text.contains("https://p.example/profiel"));
        assert!(mail.html.contains("Planner &lt;BV&gt;"), "{}", mail.html);
    }

    #[test]
    fn a_deactivation_mail_says_so_in_its_subject_and_carries_the_reason() {
        let at =
            chrono::DateTime::parse_from_rfc3339("2026-05-07T13:53:16Z").expect("time").with_timezone(&chrono::Utc);
        let from = addr("info@informat.be");
        let to = addr("eigenaar@voorbeeld.be");
        let off = partner_activation(&from, &to, "Planner", Some("Misbruik <van> de API"), at, "https://p.example")
            .expect("render");
        assert_eq!(off.subject, PARTNER_DEACTIVATED_SUBJECT);
        assert!(off.text.contains("gedeactiveerd") && off.text.contains("Misbruik <van> de API"), "{}", off.text);
        assert!(off.html.contains("Misbruik &lt;van&gt; de API"), "{}", off.html);
        let on = partner_activation(&from, &to, "Planner", None, at, "https://p.example").expect("render");
        assert_eq!(on.subject, PARTNER_ACTIVATED_SUBJECT);
        assert!(on.text.contains("opnieuw geactiveerd") && !on.text.contains("Reden"), "{}", on.text);
    }
}
