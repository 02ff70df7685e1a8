//! Applications (manual 3.3) and their moderation by Informat (manual 2.2): requests, edits,
//! the status machine, client secrets and linking an existing client. Every change is one
//! transaction with its log entries (and, where it changes them, the client and the partner's
//! count of approved applications, which decides the directory listing), then one mail to the
//! partner's email and the application's contact.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};

use crate::deps::Deps;
use crate::domain::Caller;
use crate::domain::{
    Account, Api, Application, ApplicationFields, ApplicationId, ApplicationStatus, CONTACT_LINK_LIFETIME, Change,
    Client, ClientId, ClientJwks, ContactDecision, ContactEmail, ContactLink, Email, FieldError, INFORMAT, LogAction,
    LogEntry, Moderation, PartnerId, Profile, PublicKeys, SecretHash, SecretToken, decide_approval, decide_archiving,
    decide_rejection, next_utc_midnight,
};
use crate::error::AppError;
use crate::mail;
use crate::operations::common::{Tries, linked_account, notify, own, refuse_if_throttled, stored, throttle_key};
use crate::ports::{ApplicationWrite, Page, Stale, StoreError};

/// The manual's message for a client id and secret that do not verify (manual 3.3.2, 4).
pub const INVALID_CLIENT_CREDENTIALS: &str =
    "De ingevoerde client/secret is ongeldig. Heb je geen geldige client/secret, vraag dan een nieuwe aan.";
/// The manual's message for a client that another application has (manual 3.3.2.1).
pub const CLIENT_ALREADY_LINKED: &str =
    "Sorry! Deze client is al gekoppeld aan een andere applicatie. Je kan een client maar aan één app koppelen.";

/// The longest grace period of a replaced secret (api.md: 0..86400 seconds).
pub const MAX_SECRET_GRACE_SECONDS: i64 = 86_400;

/// How many failed verifications of one client id are allowed per window.
const VERIFY_FAILURES: u32 = 5;
const VERIFY_WINDOW: Duration = Duration::minutes(15);

fn invalid_credentials(detail: &str) -> AppError {
    AppError::Refused { code: "invalid_client_credentials", detail: detail.to_owned() }
}

/// The partner's profile, read with something else: it must exist (as in [`stored`]).
fn existing_profile(profile: Option<Profile>, partner: &PartnerId) -> Result<Profile, AppError> {
    profile.ok_or_else(|| AppError::invariant(format!("a link points at missing partner {partner}")))
}

/// The client that was read together with an application: the id asked for and what was found.
type ReadClient = Option<(ClientId, Option<Client>)>;

/// The client of `app`: the one read together with it, or, when another id (or none) was asked
/// for (the id index had not seen the client yet), read now.
async fn client_of(deps: &Deps, app: &Application, read: ReadClient) -> Result<Option<Client>, AppError> {
    let Some(id) = &app.client_id else { return Ok(None) };
    match read {
        Some((asked, found)) if &asked == id => Ok(found),
        _ => Ok(deps.applications.client(id).await?),
    }
}

/// What a partner's change to one of its applications reads.
struct Editing {
    editor: Account,
    app: Application,
    /// The partner's profile; the partner is active.
    profile: Profile,
    client: ReadClient,
}

/// The editor's account, its partner's application `id`, the partner's profile and the
/// application's client, in two round trips: the account together with the application as the
/// id index saw it (which names its partner and client), then the application itself, the profile
/// and the client in one BatchGetItem. The answers are judged in the order of the one-by-one
/// reads they replace: the account (401, 403 `profile_not_linked`), the application (404, also
/// for another partner's: nothing more of that one is read), the partner (409 `partner_inactive`).
async fn editing(deps: &Deps, account: &Caller, id: &str) -> Result<Editing, AppError> {
    let id = ApplicationId::parse(id);
    let indexed = async {
        match &id {
            Some(id) => deps.lookups.indexed_application(id).await,
            None => Ok(None),
        }
    };
    let (linked, indexed) = futures::join!(linked_account(deps, account), indexed);
    let (editor, partner) = linked?;
    let id = id.ok_or(AppError::NotFound)?;
    let client_id = match indexed {
        Ok(indexed) => indexed.filter(|a| a.partner_id == partner).and_then(|a| a.client_id),
        // Only a shortcut: without it the client is read after the application.
        Err(e) => {
            tracing::warn!(error = %e, "the application index could not be read");
            None
        }
    };
    let read = deps.applications.application_context(&partner, &id, client_id.as_ref()).await?;
    let app = read.application.ok_or(AppError::NotFound)?;
    let profile = existing_profile(read.profile, &partner)?;
    if !profile.active {
        return Err(AppError::partner_inactive());
    }
    Ok(Editing { editor, app, profile, client: client_id.map(|id| (id, read.client)) })
}

/// What a moderator's change to an application reads.
struct Moderating {
    app: Application,
    /// The partner's profile, if it exists (checked where it is needed, after the transition).
    profile: Option<Profile>,
    client: ReadClient,
}

/// Any partner's application `id`, its partner's profile and its client, in two round trips: the
/// application as the id index saw it (which names its partner and client), then the application
/// itself (strongly consistent), the profile and the client in one BatchGetItem.
async fn moderating(deps: &Deps, id: &str) -> Result<Moderating, AppError> {
    let id = ApplicationId::parse(id).ok_or(AppError::NotFound)?;
    let indexed = deps.lookups.indexed_application(&id).await?.ok_or(AppError::NotFound)?;
    let read = deps.applications.application_context(&indexed.partner_id, &id, indexed.client_id.as_ref()).await?;
    let app = read.application.ok_or(AppError::NotFound)?;
    Ok(Moderating { app, profile: read.profile, client: indexed.client_id.map(|id| (id, read.client)) })
}

/// One log entry per API a new application starts with.
fn checked_apis<'a>(app: &'a Application, now: DateTime<Utc>, user: &'a str) -> impl Iterator<Item = LogEntry> + 'a {
    app.fields.apis.iter().map(move |api| {
        LogEntry::new(now, LogAction::Created, &api.log_property(), user, None, Some(api.label().into()))
    })
}

/// A new application, linked to an existing client or not.
fn created(app: &Application, client: Option<&ClientId>, by: &str, at: DateTime<Utc>) -> Change {
    Change::ApplicationCreated {
        application: app.id.clone(),
        partner: app.partner_id.clone(),
        client: client.cloned(),
        by: by.to_owned(),
        at,
    }
}

/// The partner changed its application.
fn updated(app: &Application, by: &str, at: DateTime<Utc>) -> Change {
    Change::ApplicationUpdated { application: app.id.clone(), partner: app.partner_id.clone(), by: by.to_owned(), at }
}

/// A stale write of an application's parts, as the partner and the moderators read it: the
/// application changed (also when it was its client).
fn stale_application(e: AppError) -> AppError {
    match e {
        AppError::Stale(_) => AppError::version_conflict(Stale::Application),
        other => other,
    }
}

/// Writes `write` (without its `profile`, which this fills in), adjusting the partner's count of
/// approved applications by `approved_delta` in the same transaction. `profile` is the partner's
/// profile as the caller read it; it is read again only when it changed before the write.
/// Returns the profile as written (or as read, when the count does not change).
async fn commit(
    deps: &Deps,
    profile: Profile,
    write: ApplicationWrite<'_>,
    approved_delta: i64,
) -> Result<Profile, AppError> {
    let ApplicationWrite { before, after, client, log, change, .. } = write;
    let mut read = Some(profile);
    // The profile changed between read and write (a concurrent edit, or a second approval).
    let mut tries = Tries::of(Stale::Application);
    while tries.next() {
        let current = match read.take() {
            Some(profile) => profile,
            None => stored(deps, &after.partner_id).await?,
        };
        let counted = (approved_delta != 0).then(|| {
            let count = i64::from(current.approved_applications) + approved_delta;
            Profile {
                approved_applications: u32::try_from(count.max(0)).unwrap_or(0),
                version: current.version + 1,
                ..current.clone()
            }
        });
        // A client is written suspended while its partner is (see `crate::operations::suspension`). When the
        // profile is part of the write (its version is checked), its `active` decides. Otherwise
        // a stored client keeps the flag it was read with: a (de)activation changes the flag and
        // the client's version together, and this write checks that version; the profile, read
        // apart from the client, could be older or newer than it.
        let suspended = client.map(|(read, c)| {
            let partner_suspended = match read {
                Some(read) if counted.is_none() => read.partner_suspended,
                _ => !current.active,
            };
            (read, Client { partner_suspended, ..c.clone() })
        });
        let client = suspended.as_ref().map(|(read, c)| (*read, c));
        let write =
            ApplicationWrite { before, after, client, profile: counted.as_ref().map(|c| (&current, c)), log, change };
        match deps.applications.write_application(write).await {
            Ok(()) => return Ok(counted.unwrap_or(current)),
            Err(StoreError::Stale(Stale::Profile)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(tries.exhausted())
}

/// At most this many contact confirmation mails per partner per UTC day, all applications
/// together (issue 21)...
pub const CONFIRMATION_MAILS_PER_PARTNER_PER_DAY: u32 = 10;
/// ... and per address per UTC day, whichever partners gave it.
pub const CONFIRMATION_MAILS_PER_ADDRESS_PER_DAY: u32 = 3;
const CONTACT_PROPERTY: &str = "Bevestiging e-mailadres";

/// The contact's state after a create (`before` is `None`) or an edit by `actor`, with the
/// link's secret when the address must get a confirmation mail.
fn contact_after(
    before: Option<&Application>,
    contact: &Email,
    actor: &Email,
    now: DateTime<Utc>,
) -> Result<(ContactEmail, Option<SecretToken>), AppError> {
    match ContactEmail::decide(before.map(|b| &b.fields.contact_email), contact, actor) {
        ContactDecision::Keep => Ok((before.map(|b| b.contact.clone()).unwrap_or_default(), None)),
        ContactDecision::Confirmed => Ok((ContactEmail::Confirmed, None)),
        ContactDecision::Confirm => {
            let (state, token) = fresh_contact_link(now)?;
            Ok((state, Some(token)))
        }
    }
}

fn fresh_contact_link(now: DateTime<Utc>) -> Result<(ContactEmail, SecretToken), AppError> {
    let token = SecretToken::generate()?;
    let link = ContactLink { token_hash: token.hash(), expires_at: now + CONTACT_LINK_LIFETIME };
    Ok((ContactEmail::Unconfirmed { link: Some(link) }, token))
}

/// The log entry that says a confirmation link went to `contact`.
fn confirmation_logged(now: DateTime<Utc>, user: &str, contact: &Email) -> LogEntry {
    LogEntry::new(now, LogAction::Sent, CONTACT_PROPERTY, user, None, Some(format!("bevestigingsmail naar {contact}")))
}

/// Whether the day's confirmation mails of the partner and of the address leave room for one
/// more; counts it when so.
async fn may_send_confirmation(deps: &Deps, app: &Application) -> Result<bool, AppError> {
    let now = deps.clock.now();
    let (day, expires) = (now.date_naive(), next_utc_midnight(now) + Duration::days(2));
    let partner = throttle_key("contact-mail-partner", app.partner_id.as_str());
    let address = throttle_key("contact-mail-address", app.fields.contact_email.as_str());
    let (partner, address) = futures::join!(
        deps.attempts.take_daily(&partner, day, CONFIRMATION_MAILS_PER_PARTNER_PER_DAY, expires),
        deps.attempts.take_daily(&address, day, CONFIRMATION_MAILS_PER_ADDRESS_PER_DAY, expires),
    );
    Ok(partner? && address?)
}

/// Whether a confirmation mail may go, when `confirm` says one should: the day's limits,
/// counted concurrently with the write that stores the link (a refused write counts too).
async fn confirmation_allowed(deps: &Deps, app: &Application, confirm: bool) -> Result<bool, AppError> {
    if confirm { may_send_confirmation(deps, app).await } else { Ok(false) }
}

/// The outcome of [`confirmation_allowed`]: a failed count sends no mail (the partner can send
/// it again), and is logged.
fn granted(allowed: Result<bool, AppError>) -> bool {
    allowed.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the day's confirmation mails could not be counted");
        false
    })
}

/// Sends the contact its confirmation link when the day's limits `allowed` it; logs on the
/// application when the mail did not leave (the partner can send it again later).
async fn mail_confirmation(
    deps: &Deps,
    profile: &Profile,
    app: &Application,
    user: &str,
    token: &SecretToken,
    allowed: bool,
) -> Result<(), AppError> {
    let contact = &app.fields.contact_email;
    let why = if !allowed {
        tracing::info!(application = %app.id, outcome = "mail_capped", "no confirmation mail: the day's limit");
        "niet verstuurd: het maximum bevestigingsmails voor vandaag is bereikt; verstuur ze morgen opnieuw"
    } else {
        if send_confirmation(deps, profile, app, user, token).await? {
            return Ok(());
        }
        "verzenden mislukt; verstuur de bevestigingsmail opnieuw"
    };
    let log = [LogEntry::new(
        deps.clock.now(),
        LogAction::Sent,
        CONTACT_PROPERTY,
        "systeem",
        None,
        Some(format!("{contact}: {why}")),
    )];
    deps.access.append_application_log(&app.partner_id, &app.id, &log).await?;
    Ok(())
}

/// The mails after a create or an edit: what happened, to the profile's email (and the
/// contact once confirmed), and the confirmation link when the contact is new; together.
async fn mail_after_change(
    deps: &Deps,
    profile: &Profile,
    app: &Application,
    (what, headline): (&str, &str),
    user: &str,
    log: &[LogEntry],
    confirm: Option<(&SecretToken, bool)>,
) -> Result<(), AppError> {
    let confirmation = async {
        match confirm {
            Some((token, allowed)) => mail_confirmation(deps, profile, app, user, token, allowed).await,
            None => Ok(()),
        }
    };
    let (notified, confirmed) = futures::join!(notify(deps, profile, app, what, headline, user, log), confirmation);
    notified.and(confirmed)
}

/// Renders and sends the contact's confirmation mail with the link of `token`; whether it left.
async fn send_confirmation(
    deps: &Deps,
    profile: &Profile,
    app: &Application,
    user: &str,
    token: &SecretToken,
) -> Result<bool, AppError> {
    let link = contact_link(deps, &app.id, token);
    let message = mail::contact_confirmation(
        &deps.config.mail_from_accounts,
        &app.fields.contact_email,
        &app.fields.name,
        profile.fields.name.as_str(),
        user,
        &link,
    )?;
    Ok(mail::deliver(deps.mailer.as_ref(), "contact_confirmation", &message).await)
}

/// The page that confirms a contact: the application's id and the link's secret.
fn contact_link(deps: &Deps, app: &ApplicationId, token: &SecretToken) -> String {
    format!(
        "{}/contact-bevestigen?applicatie={app}&token={}",
        deps.config.portal_url.trim_end_matches('/'),
        token.expose()
    )
}

fn contact_already_confirmed() -> AppError {
    AppError::conflict("contact_already_confirmed", "Het e-mailadres van de contactpersoon is al bevestigd.")
}

fn invalid_contact_link() -> AppError {
    AppError::Refused {
        code: "invalid_token",
        detail: "Deze bevestigingslink is ongeldig, al gebruikt of verlopen. Vraag de partner om je een nieuwe bevestigingsmail te sturen.".into(),
    }
}

/// POST /applications/{id}/contact-confirmation: a new confirmation link for the unconfirmed
/// contact email, which replaces the earlier one. The day's limits are taken before the link
/// is replaced, so a refused mail (429) leaves the link that was mailed before working.
pub async fn resend_contact_confirmation(deps: &Deps, account: &Caller, id: &str) -> Result<Email, AppError> {
    let Editing { editor, app: before, profile, .. } = editing(deps, account, id).await?;
    if before.contact.is_confirmed() {
        return Err(contact_already_confirmed());
    }
    if before.status == ApplicationStatus::Archived {
        return Err(AppError::conflict(
            "application_archived",
            "Deze applicatie is gearchiveerd en kan niet meer gewijzigd worden.",
        ));
    }
    if !may_send_confirmation(deps, &before).await? {
        let now = deps.clock.now();
        return Err(AppError::Limited {
            code: "too_many_confirmation_mails",
            field: FieldError::new(
                "contact_email",
                "daily_limit",
                "Vandaag werden al genoeg bevestigingsmails verstuurd naar dit adres of voor je partnerprofiel. Probeer het morgen opnieuw.",
            ),
            retry_after_seconds: crate::domain::seconds_until_tomorrow(now),
        });
    }
    let now = deps.clock.now();
    let user = editor.email.to_string();
    let (contact, token) = fresh_contact_link(now)?;
    let after = Application { contact, updated_at: now, version: before.version + 1, ..before.clone() };
    let log = [confirmation_logged(now, &user, &after.fields.contact_email)];
    let change = updated(&after, &user, now);
    let write = ApplicationWrite {
        before: Some(&before),
        after: &after,
        client: None,
        profile: None,
        log: &log,
        change: &change,
    };
    deps.applications.write_application(write).await.map_err(|e| stale_application(e.into()))?;
    send_confirmation(deps, &profile, &after, &user, &token).await?;
    tracing::info!(application = %after.id, "contact confirmation sent again");
    Ok(after.fields.contact_email)
}

/// POST /contact-confirmations: the contact confirms its address with the mailed link. Every
/// link that does not work (unknown application, another or an old link, expired, used) gets
/// the same answer.
pub async fn confirm_contact(deps: &Deps, application: &str, token: &str) -> Result<String, AppError> {
    let id = ApplicationId::parse(application).ok_or_else(invalid_contact_link)?;
    let token = SecretToken::parse(token).ok_or_else(invalid_contact_link)?;
    let hash = token.hash();
    let mut tries = Tries::of(Stale::Application);
    while tries.next() {
        let before = deps.applications.application_by_id(&id).await?.ok_or_else(invalid_contact_link)?;
        let now = deps.clock.now();
        if !before.contact.accepts(&hash, now) {
            return Err(invalid_contact_link());
        }
        let after = Application {
            contact: ContactEmail::Confirmed,
            updated_at: now,
            version: before.version + 1,
            ..before.clone()
        };
        let contact = before.fields.contact_email.to_string();
        let log = [LogEntry::new(
            now,
            LogAction::Updated,
            CONTACT_PROPERTY,
            &contact,
            Some("niet bevestigd".into()),
            Some("bevestigd".into()),
        )];
        let change =
            Change::ContactConfirmed { application: after.id.clone(), partner: after.partner_id.clone(), at: now };
        let write = ApplicationWrite {
            before: Some(&before),
            after: &after,
            client: None,
            profile: None,
            log: &log,
            change: &change,
        };
        match deps.applications.write_application(write).await {
            Ok(()) => {
                tracing::info!(application = %after.id, "contact email confirmed");
                return Ok(after.fields.name);
            }
            // Changed meanwhile (an edit, say): judge the link against what is stored now.
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(invalid_contact_link())
}

/// GET /applications
pub async fn list_applications(deps: &Deps, account: &Caller) -> Result<Vec<Application>, AppError> {
    let (_, partner) = linked_account(deps, account).await?;
    Ok(deps.applications.applications(&partner).await?)
}

/// GET /applications/{id}
pub async fn get_application(deps: &Deps, account: &Caller, id: &str) -> Result<Application, AppError> {
    let (_, partner) = linked_account(deps, account).await?;
    own(deps, &partner, id).await
}

/// GET /applications/{id} as the page shows it: the application and its client's registered
/// public keys (none before approval). Another partner's application is 404, as above.
pub async fn get_application_with_keys(
    deps: &Deps,
    account: &Caller,
    id: &str,
) -> Result<(Application, ClientJwks), AppError> {
    let app = get_application(deps, account, id).await?;
    let keys = match &app.client_id {
        Some(client) => deps.applications.client(client).await?.map(|c| c.jwks).unwrap_or_default(),
        None => ClientJwks::default(),
    };
    Ok((app, keys))
}

/// GET /applications/{id}/logs
pub async fn get_application_logs(
    deps: &Deps,
    account: &Caller,
    id: &str,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<LogEntry>, AppError> {
    let (_, partner) = linked_account(deps, account).await?;
    // The log is read together with the application, in the partner's own partition: for an id
    // that is not the partner's application it finds nothing, and the answer is 404 either way.
    let log = async {
        match ApplicationId::parse(id) {
            Some(app) => Some(deps.applications.application_log(&partner, &app, limit, cursor).await),
            None => None,
        }
    };
    let (app, log) = futures::join!(own(deps, &partner, id), log);
    app?;
    Ok(log.ok_or(AppError::NotFound)??)
}

/// An existing client's id and secret as a partner types them.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// Argon2id of nothing anyone knows: an unknown client id is checked against it, so it takes
/// as long as a known one and the answer's timing does not tell which ids exist.
pub(crate) static DUMMY: LazyLock<Option<SecretHash>> =
    LazyLock::new(|| SecretHash::of_imported("no client has this secret").ok());

/// POST /client-credentials/verify: the client exists, the secret is one of its valid ones, it
/// has no blocked scopes and no application yet. Failures per client id are throttled.
pub async fn verify_client_credentials(
    deps: &Deps,
    account: &Caller,
    credentials: &Credentials,
) -> Result<Client, AppError> {
    linked_account(deps, account).await?;
    let client = read_linkable(deps, credentials).await?;
    linkable_client(deps, credentials, client).await
}

/// The reads of [`verify`]'s checks, together: 429 when the client id's failures are throttled,
/// else the client with that id, if there is one.
async fn read_linkable(deps: &Deps, credentials: &Credentials) -> Result<Option<Client>, AppError> {
    let now = deps.clock.now();
    let throttle_key = throttle_key("verify", credentials.client_id.trim());
    let client = async {
        match ClientId::parse(&credentials.client_id) {
            Some(id) => deps.applications.client(&id).await,
            None => Ok(None),
        }
    };
    let (throttled, client) =
        futures::join!(refuse_if_throttled(deps, &throttle_key, now, VERIFY_WINDOW, VERIFY_FAILURES), client);
    throttled?;
    Ok(client?)
}

/// The checks of [`verify`] on the client [`read_linkable`] read, for a caller whose account is
/// already known to be linked; a failure is counted for the throttle.
async fn linkable_client(deps: &Deps, credentials: &Credentials, client: Option<Client>) -> Result<Client, AppError> {
    let now = deps.clock.now();
    let throttle_key = throttle_key("verify", credentials.client_id.trim());
    let secret = credentials.client_secret.trim();
    let matches = match &client {
        Some(client) => client.secret_matches(secret, now),
        None => {
            if let Some(dummy) = DUMMY.as_ref() {
                let _ = dummy.verifies(secret);
            }
            false
        }
    };
    let Some(client) = client.filter(|_| matches) else {
        deps.attempts.record_failure(&throttle_key, now, VERIFY_WINDOW).await?;
        tracing::info!(outcome = "refused", "client credentials did not verify");
        return Err(invalid_credentials(INVALID_CLIENT_CREDENTIALS));
    };
    if !client.blocked_scopes.is_empty() {
        return Err(invalid_credentials(&format!(
            "{INVALID_CLIENT_CREDENTIALS} Deze client heeft nog scopes voor niet-actieve toegangsgroepen in Rekeningen ({}). Laat die eerst door Informat verwijderen.",
            client.blocked_scopes.join(", ")
        )));
    }
    if client.application_id.is_some() {
        return Err(AppError::conflict("client_already_linked", CLIENT_ALREADY_LINKED));
    }
    Ok(client)
}

/// POST /applications: a request for a new client (status `new`), or, with `link`, an
/// application that takes over an existing client and its scopes and is approved at once. With
/// `link`, an empty `fields.apis` means the partner left them out: they come from the client's
/// scopes; when given they must be exactly those.
pub async fn create_application(
    deps: &Deps,
    account: &Caller,
    fields: ApplicationFields,
    link: Option<Credentials>,
) -> Result<Application, AppError> {
    let (creator, partner) = linked_account(deps, account).await?;
    // The profile, and what linking a client checks, are read together; judged in that order.
    let (profile, link) = match link {
        None => (stored(deps, &partner).await?, None),
        Some(credentials) => {
            let (profile, client) = futures::join!(stored(deps, &partner), read_linkable(deps, &credentials));
            (profile?, Some((credentials, client)))
        }
    };
    if !profile.active {
        return Err(AppError::partner_inactive());
    }
    let now = deps.clock.now();
    let user = creator.email.to_string();
    let (contact, confirm) = contact_after(None, &fields.contact_email, &creator.email, now)?;
    let mut app = Application {
        id: ApplicationId::new(),
        partner_id: partner,
        fields,
        status: ApplicationStatus::New,
        client_id: None,
        rejection_reason: None,
        secret_created_at: None,
        contact,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let Some((credentials, read)) = link else {
        let mut log =
            vec![LogEntry::new(now, LogAction::Created, "Status", &user, None, Some(app.status.label().into()))];
        log.extend(checked_apis(&app, now, &user));
        log.extend(confirm.is_some().then(|| confirmation_logged(now, &user, &app.fields.contact_email)));
        let change = created(&app, None, &user, now);
        let (committed, allowed) = futures::join!(
            commit(
                deps,
                profile,
                ApplicationWrite { before: None, after: &app, client: None, profile: None, log: &log, change: &change },
                0,
            ),
            confirmation_allowed(deps, &app, confirm.is_some())
        );
        let profile = committed.map_err(stale_application)?;
        tracing::info!(application = %app.id, "application requested");
        let what = (
            "aangevraagd",
            "Er werd een nieuwe applicatie aangevraagd. Informat beoordeelt de aanvraag; je ontvangt een bericht zodra dat gebeurd is.",
        );
        mail_after_change(deps, &profile, &app, what, &user, &log, confirm.as_ref().map(|t| (t, granted(allowed))))
            .await?;
        return Ok(app);
    };
    let client = linkable_client(deps, &credentials, read?).await?;
    app.fields.apis = linked_apis(&client, std::mem::take(&mut app.fields.apis))?;
    app.status = ApplicationStatus::Approved;
    app.client_id = Some(client.id.clone());
    let linked = Client {
        application_id: Some(app.id.clone()),
        partner_id: Some(app.partner_id.clone()),
        active: true,
        apis: app.fields.apis.clone(),
        updated_at: now,
        version: client.version + 1,
        ..client.clone()
    };
    let mut log = vec![
        LogEntry::new(now, LogAction::Linked, "Client ID", &user, None, Some(client.id.to_string())),
        LogEntry::new(now, LogAction::Approved, "Status", &user, None, Some(app.status.label().into())),
    ];
    log.extend(checked_apis(&app, now, &user));
    log.extend(confirm.is_some().then(|| confirmation_logged(now, &user, &app.fields.contact_email)));
    let change = created(&app, Some(&client.id), &user, now);
    let (committed, allowed) = futures::join!(
        commit(
            deps,
            profile,
            ApplicationWrite {
                before: None,
                after: &app,
                client: Some((Some(&client), &linked)),
                profile: None,
                log: &log,
                change: &change
            },
            1,
        ),
        confirmation_allowed(deps, &app, confirm.is_some())
    );
    match committed {
        Ok(profile) => {
            tracing::info!(application = %app.id, "application created with an existing client");
            let what = (
                "gekoppeld",
                "Er werd een bestaande client gekoppeld aan een nieuwe applicatie. De applicatie is goedgekeurd en de bestaande scopes blijven geldig.",
            );
            mail_after_change(deps, &profile, &app, what, &user, &log, confirm.as_ref().map(|t| (t, granted(allowed))))
                .await?;
            Ok(app)
        }
        // Another application took the client between the check and the write.
        Err(AppError::Stale(Stale::Client)) => Err(AppError::conflict("client_already_linked", CLIENT_ALREADY_LINKED)),
        Err(e) => Err(stale_application(e)),
    }
}

/// The APIs of an application that takes over `client` (manual 3.3.3: "Bij koppelen van een
/// client/secret wordt obv de bestaande scopes bepaald welke API's in gebruik zijn"): those of
/// its scopes. `sent` (empty: left out) must be exactly those. A client without scopes has no
/// APIs to take over: then the partner checks them.
fn linked_apis(client: &Client, sent: BTreeSet<Api>) -> Result<BTreeSet<Api>, AppError> {
    let labels = |apis: &BTreeSet<Api>| apis.iter().map(|a| a.label()).collect::<Vec<_>>().join(", ");
    let from_scopes = client.scope_apis();
    if from_scopes.is_empty() {
        if sent.is_empty() {
            return Err(FieldError::new(
                "apis",
                "required",
                "Deze client heeft nog geen scopes, dus er zijn geen API's over te nemen: kies minstens één API.",
            )
            .into());
        }
        return Ok(sent);
    }
    if !sent.is_empty() && sent != from_scopes {
        return Err(FieldError::new(
            "apis",
            "not_client_apis",
            format!(
                "Bij het koppelen van een client komen de API's uit de scopes van de client: {}. Laat de API's weg of kies precies deze.",
                labels(&from_scopes)
            ),
        )
        .into());
    }
    Ok(from_scopes)
}

/// The client after the application's APIs became `apis`: scopes of an API that is no longer
/// checked are removed (manual 3.3.3 "Opgelet!").
fn client_for_apis(client: &Client, apis: &BTreeSet<Api>, now: DateTime<Utc>) -> Client {
    Client {
        apis: apis.clone(),
        scopes: client.scopes.iter().filter(|s| apis.contains(&s.api)).cloned().collect(),
        updated_at: now,
        version: client.version + 1,
        ..client.clone()
    }
}

/// PUT /applications/{id}: one log entry per changed property; an API that is unchecked loses
/// its scopes at every school; a rejected application goes back to `new`.
pub async fn update_application(
    deps: &Deps,
    account: &Caller,
    id: &str,
    fields: ApplicationFields,
    expected_version: Option<u64>,
) -> Result<Application, AppError> {
    let Editing { editor, app: before, profile, client: read_client } = editing(deps, account, id).await?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(AppError::version_conflict(Stale::Application));
    }
    let now = deps.clock.now();
    let user = editor.email.to_string();
    let mut log: Vec<LogEntry> = before
        .fields
        .changes(&fields)
        .into_iter()
        .map(|(action, property, from, to)| LogEntry::new(now, action, &property, &user, from, to))
        .collect();
    let edited = before.edited(fields).map_err(|_| {
        AppError::conflict("application_archived", "Deze applicatie is gearchiveerd en kan niet meer gewijzigd worden.")
    })?;
    if log.is_empty() {
        return Ok(before);
    }
    if edited.status != before.status {
        log.push(before.status_entry(LogAction::Updated, &edited, &user, now));
    }
    let (contact, confirm) = contact_after(Some(&before), &edited.fields.contact_email, &editor.email, now)?;
    log.extend(confirm.is_some().then(|| confirmation_logged(now, &user, &edited.fields.contact_email)));
    let after = Application { contact, updated_at: now, version: before.version + 1, ..edited };
    let stored_client = match &after.client_id {
        Some(_) if before.fields.apis != after.fields.apis => client_of(deps, &before, read_client).await?,
        _ => None,
    };
    let new_client = stored_client.as_ref().map(|c| client_for_apis(c, &after.fields.apis, now));
    if let (Some(before_client), Some(after_client)) = (&stored_client, &new_client) {
        for scope in before_client.scopes.difference(&after_client.scopes) {
            log.push(LogEntry::new(now, LogAction::Revoked, "Scope", &user, Some(scope.to_string()), None));
        }
    }
    let client = stored_client.as_ref().zip(new_client.as_ref()).map(|(b, a)| (Some(b), a));
    let change = updated(&after, &user, now);
    let (committed, allowed) = futures::join!(
        commit(
            deps,
            profile,
            ApplicationWrite {
                before: Some(&before),
                after: &after,
                client,
                profile: None,
                log: &log,
                change: &change
            },
            0,
        ),
        confirmation_allowed(deps, &after, confirm.is_some())
    );
    match committed {
        Ok(profile) => {
            tracing::info!(application = %after.id, changes = log.len(), "application updated");
            let headline = if after.status == ApplicationStatus::New && before.status == ApplicationStatus::Rejected {
                "De applicatie werd gewijzigd en gaat terug naar Informat voor een nieuwe beoordeling."
            } else {
                "De applicatie werd gewijzigd."
            };
            let confirm = confirm.as_ref().map(|t| (t, granted(allowed)));
            mail_after_change(deps, &profile, &after, ("gewijzigd", headline), &user, &log, confirm).await?;
            Ok(after)
        }
        Err(e) => Err(stale_application(e)),
    }
}

/// POST /applications/{id}/secret: a new 256-bit secret, shown this once and stored as SHA-256;
/// the previous one stays valid for `grace_seconds` (0: stops at once).
pub async fn create_client_secret(
    deps: &Deps,
    account: &Caller,
    id: &str,
    grace_seconds: i64,
) -> Result<(ClientId, SecretToken), AppError> {
    let (user, before, profile, client) = approved_client(
        deps,
        account,
        id,
        "Een client secret kan pas aangemaakt worden als Informat de applicatie heeft goedgekeurd.",
    )
    .await?;
    let client_id = client.id.clone();
    let now = deps.clock.now();
    let secret = SecretToken::generate()?;
    let rotated =
        client.with_new_secret(SecretHash::of_generated(&secret), now, now + Duration::seconds(grace_seconds));
    let grace = if grace_seconds > 0 {
        format!("nieuw secret; het vorige blijft {grace_seconds} seconden geldig")
    } else {
        "nieuw secret; het vorige werkt niet meer".to_owned()
    };
    let log = vec![LogEntry::new(now, LogAction::Created, "Client secret", &user, None, Some(grace))];
    let after =
        Application { secret_created_at: Some(now), updated_at: now, version: before.version + 1, ..before.clone() };
    let change = Change::ClientSecretCreated {
        application: after.id.clone(),
        partner: after.partner_id.clone(),
        client: client_id.clone(),
        by: user.clone(),
        at: now,
    };
    match commit(
        deps,
        profile,
        ApplicationWrite {
            before: Some(&before),
            after: &after,
            client: Some((Some(&client), &rotated)),
            profile: None,
            log: &log,
            change: &change,
        },
        0,
    )
    .await
    {
        Ok(profile) => {
            tracing::info!(application = %after.id, grace_seconds, "client secret replaced");
            notify(deps, &profile, &after, "heeft een nieuw client secret", "Er werd een nieuw client secret aangemaakt. Het secret zelf staat niet in deze mail en wordt nergens bewaard.", &user, &log).await?;
            Ok((client_id, secret))
        }
        Err(e) => Err(stale_application(e)),
    }
}

/// The editor (email), the partner's approved application `id`, the partner's profile and the
/// application's client; 409 `application_not_approved` (saying `why`) for an application
/// without a working client.
async fn approved_client(
    deps: &Deps,
    account: &Caller,
    id: &str,
    why: &str,
) -> Result<(String, Application, Profile, Client), AppError> {
    let Editing { editor, app, profile, client } = editing(deps, account, id).await?;
    let client_id = match (&app.client_id, app.status) {
        (Some(client_id), ApplicationStatus::Approved) => client_id.clone(),
        _ => return Err(AppError::conflict("application_not_approved", why)),
    };
    let client = client_of(deps, &app, client)
        .await?
        .ok_or_else(|| AppError::invariant(format!("client {client_id} is missing")))?;
    Ok((editor.email.to_string(), app, profile, client))
}

/// PUT /applications/{id}/jwks: the public keys the client signs its assertions with
/// (`private_key_jwt`); they replace the registered ones (a key that stays keeps the time it was
/// added). An empty set turns the method off. Answers the keys as registered.
pub async fn update_application_jwks(
    deps: &Deps,
    account: &Caller,
    id: &str,
    keys: PublicKeys,
) -> Result<ClientJwks, AppError> {
    let (user, before, profile, client) = approved_client(
        deps,
        account,
        id,
        "Publieke sleutels kunnen pas geregistreerd worden als Informat de applicatie heeft goedgekeurd.",
    )
    .await?;
    let now = deps.clock.now();
    let jwks = client.jwks.replaced_by(keys, now);
    let describe = |jwks: &ClientJwks| {
        (!jwks.is_empty()).then(|| jwks.keys.iter().map(|k| k.key.describe()).collect::<Vec<_>>().join(", "))
    };
    let (from, to) = (describe(&client.jwks), describe(&jwks));
    if client.jwks == jwks {
        return Ok(jwks);
    }
    let action = if to.is_none() { LogAction::Removed } else { LogAction::Updated };
    let log = vec![LogEntry::new(now, action, "Publieke sleutels (JWKS)", &user, from, to)];
    let changed = Client { jwks: jwks.clone(), updated_at: now, version: client.version + 1, ..client.clone() };
    let after = Application { updated_at: now, version: before.version + 1, ..before.clone() };
    let change = Change::PublicKeysChanged {
        application: after.id.clone(),
        partner: after.partner_id.clone(),
        client: client.id.clone(),
        by: user.clone(),
        at: now,
    };
    match commit(
        deps,
        profile,
        ApplicationWrite {
            before: Some(&before),
            after: &after,
            client: Some((Some(&client), &changed)),
            profile: None,
            log: &log,
            change: &change,
        },
        0,
    )
    .await
    {
        Ok(profile) => {
            tracing::info!(application = %after.id, keys = changed.jwks.keys.len(), "public keys replaced");
            notify(deps, &profile, &after, "heeft nieuwe publieke sleutels", "De publieke sleutels waarmee de applicatie zich bij het token endpoint aanmeldt (private_key_jwt) werden gewijzigd.", &user, &log).await?;
            Ok(jwks)
        }
        Err(e) => Err(stale_application(e)),
    }
}

// ------------------------------------------------------------------ moderation (Informat)

/// An application and its partner, as moderators see them.
pub struct Reviewed {
    pub application: Application,
    pub partner: Option<Profile>,
}

/// GET /admin/applications?status=: oldest first, each with its partner.
pub async fn list_review_queue(
    deps: &Deps,
    status: ApplicationStatus,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<Reviewed>, AppError> {
    let page = deps.applications.applications_by_status(status, limit, cursor).await?;
    let ids: Vec<PartnerId> = page.items.iter().map(|a| a.partner_id.clone()).collect();
    let partners = deps.profiles.profiles(&ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|application| {
            let partner = partners.iter().find(|p| p.id == application.partner_id).cloned();
            Reviewed { application, partner }
        })
        .collect();
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// How many of an application's log entries the moderator's view carries (newest first): its
/// whole history in practice (a submission, a few edits, the decisions).
pub const REVIEW_HISTORY: u32 = 100;

/// One application as a moderator reviews it: with its partner and its history (the newest
/// [`REVIEW_HISTORY`] log entries, newest first: earlier rejections with their reasons,
/// approvals, edits, archiving).
pub struct Review {
    pub reviewed: Reviewed,
    pub history: Vec<LogEntry>,
}

/// GET /admin/applications/{id}
pub async fn get_admin_application(deps: &Deps, id: &str) -> Result<Review, AppError> {
    let Moderating { app: application, profile, .. } = moderating(deps, id).await?;
    let partner = Some(existing_profile(profile, &application.partner_id)?);
    let history =
        deps.applications.application_log(&application.partner_id, &application.id, REVIEW_HISTORY, None).await?;
    Ok(Review { reviewed: Reviewed { application, partner }, history: history.items })
}

/// Writes a moderator's decision `m` on `before` with the partner's count of approved
/// applications, then mails the partner `what` happened with `headline`.
async fn moderated(
    deps: &Deps,
    profile: Profile,
    before: &Application,
    stored: Option<&Client>,
    m: Moderation,
    (what, headline): (&str, &str),
) -> Result<Application, AppError> {
    let write = ApplicationWrite {
        before: Some(before),
        after: &m.after,
        client: m.client.as_ref().map(|c| (stored, c)),
        profile: None,
        log: &m.log,
        change: &m.change,
    };
    let profile = commit(deps, profile, write, m.approved_delta).await.map_err(stale_application)?;
    tracing::info!(application = %m.after.id, change = m.change.kind(), "application moderated");
    notify(deps, &profile, &m.after, what, headline, INFORMAT, &m.log).await?;
    Ok(m.after)
}

/// POST /admin/applications/{id}/approve: assigns a client id (for good) and activates it.
pub async fn approve_application(deps: &Deps, id: &str) -> Result<Application, AppError> {
    let Moderating { app: before, profile, client: read_client } = moderating(deps, id).await?;
    let profile = existing_profile(profile, &before.partner_id)?;
    // A fresh id (96 random bits) has no client yet; the write checks that none exists.
    let stored = match before.client_id {
        Some(_) => client_of(deps, &before, read_client).await?,
        None => None,
    };
    let m = decide_approval(&before, stored.as_ref(), ClientId::generate()?, deps.clock.now())?;
    let mail = (
        "werd goedgekeurd",
        "Informat heeft je applicatie goedgekeurd. Maak in het partnerportaal een client secret aan en vraag daarna toegang aan de schoolbeheerders.",
    );
    moderated(deps, profile, &before, stored.as_ref(), m, mail).await
}

/// POST /admin/applications/{id}/reject
pub async fn reject_application(deps: &Deps, id: &str, reason: String) -> Result<Application, AppError> {
    let Moderating { app: before, profile, .. } = moderating(deps, id).await?;
    let m = decide_rejection(&before, reason, deps.clock.now())?;
    let profile = existing_profile(profile, &before.partner_id)?;
    let mail = (
        "werd geweigerd",
        "Informat heeft je applicatie niet goedgekeurd. Pas je profiel of de applicatie aan; Informat beoordeelt ze dan opnieuw.",
    );
    moderated(deps, profile, &before, None, m, mail).await
}

/// POST /admin/applications/{id}/archive: final; the client stops working at once.
pub async fn archive_application(deps: &Deps, id: &str) -> Result<Application, AppError> {
    let Moderating { app: before, profile, client: read_client } = moderating(deps, id).await?;
    let profile = existing_profile(profile, &before.partner_id)?;
    let stored = client_of(deps, &before, read_client).await?;
    let m = decide_archiving(&before, stored.as_ref(), deps.clock.now())?;
    let mail = ("werd gearchiveerd", "Informat heeft je applicatie gearchiveerd. De client werkt niet meer.");
    moderated(deps, profile, &before, stored.as_ref(), m, mail).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::testing::{approved, fakes, partner};

    #[tokio::test]
    async fn every_write_carries_what_it_did() {
        let f = fakes();
        let (caller, profile) = partner(&f, "Planner BV").await;
        let (id, client_id) = approved(&f, &caller).await;
        let id = ApplicationId::parse(&id).expect("id");
        reject_application(&f.deps, &id.to_string(), "niet nu".into()).await.expect_err("approved: not rejected");
        archive_application(&f.deps, &id.to_string()).await.expect("archived");
        let changes = f.store.changes();
        let kinds: Vec<&str> = changes.iter().map(Change::kind).collect();
        assert_eq!(kinds, ["profile.created", "application.created", "application.approved", "application.archived"]);
        assert!(changes.iter().all(|c| c.partner() == Some(&profile.id)));
        assert!(matches!(
            &changes[2],
            Change::ApplicationApproved { application, client, .. } if *application == id && *client == client_id
        ));
        // A refused change writes nothing, so it carries nothing either.
        assert_eq!(changes.iter().filter(|c| c.application() == Some(&id)).count(), 3);
    }

    #[tokio::test]
    async fn a_change_works_while_the_id_index_lags_behind() {
        let f = fakes();
        let (caller, _) = partner(&f, "Planner BV").await;
        let (id, client_id) = approved(&f, &caller).await;
        // The index names no client, so the client is read after the application.
        f.store.index_behind.store(true, Ordering::SeqCst);
        let (returned, secret) = create_client_secret(&f.deps, &caller, &id, 0).await.expect("a new secret");
        assert_eq!(returned, client_id);
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(client.secret_matches(secret.expose(), f.deps.clock.now()));
        let keys = PublicKeys::default();
        update_application_jwks(&f.deps, &caller, &id, keys).await.expect("no keys is a change-free answer");
        // A moderator finds applications through the index only: until it has seen one, 404.
        assert!(matches!(archive_application(&f.deps, &id).await, Err(AppError::NotFound)));
    }

    #[tokio::test]
    async fn another_partners_application_is_404_on_every_change() {
        let f = fakes();
        let (owner, _) = partner(&f, "Planner BV").await;
        let (other, _) = partner(&f, "Ander BV").await;
        let (id, _) = approved(&f, &owner).await;
        assert!(matches!(create_client_secret(&f.deps, &other, &id, 0).await, Err(AppError::NotFound)));
        assert!(matches!(
            update_application_jwks(&f.deps, &other, &id, PublicKeys::default()).await,
            Err(AppError::NotFound)
        ));
        let mut fields = get_application(&f.deps, &owner, &id).await.expect("own").fields;
        fields.name = "Andere naam".into();
        assert!(matches!(update_application(&f.deps, &other, &id, fields, None).await, Err(AppError::NotFound)));
        assert!(matches!(create_client_secret(&f.deps, &other, "not-an-id", 0).await, Err(AppError::NotFound)));
    }

    #[tokio::test]
    async fn a_change_that_leaves_the_profile_alone_keeps_the_clients_suspension_as_read() {
        let f = fakes();
        let (caller, _) = partner(&f, "Planner BV").await;
        let (id, client_id) = approved(&f, &caller).await;
        // The client as a deactivation wrote it (flag and version), the profile as read before
        // it: the client's flag, which its version guards, is the one that stands.
        let read = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        let suspended = Client { partner_suspended: true, version: read.version + 1, ..read.clone() };
        let change = crate::domain::Change::PartnerDeactivated {
            partner: read.partner_id.clone().expect("a partner's client"),
            reason: "test".into(),
            at: Utc::now(),
        };
        f.deps.applications.write_client(&read, &suspended, &[], &change).await.expect("written, not stale");
        create_client_secret(&f.deps, &caller, &id, 0).await.expect("the profile is still active");
        let after = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(after.partner_suspended);
        assert_eq!(after.version, suspended.version + 1);
    }
}
