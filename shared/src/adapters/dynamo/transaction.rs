//! TransactWriteItems with a label on every item, and a cancellation read back by label.
//!
//! DynamoDB cancels the whole transaction when one item's condition fails, and tells which item
//! only by its position in `CancellationReasons`. A [`Transaction`] records, beside each item,
//! the [`Guard`] that names what the item's condition protects; when the transaction is
//! cancelled, [`Cancelled`] holds the guards whose condition failed, and a store maps those to
//! its outcome by name.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder;
use aws_sdk_dynamodb::types::builders::{ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::items::ApplicationItem;
use super::keys::{self, Log};
use super::{DynamoStore, Item, log_items, to_item, unavailable};
use crate::domain::{AccountId, ApplicationId, Change, LogEntry, PartnerId};
use crate::ports::{Resubmission, Stale, StoreError};

/// What the condition of one transaction item protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guard {
    /// No condition: a log entry, a token, an index entry. It never fails a transaction.
    Unconditional,
    /// The item is still the version the caller read (or, for a new one, absent): the part of
    /// the write that was no longer as read, named as the ports name it.
    Version(Stale),
    /// The email guard is new: nobody has the address.
    EmailFree,
    /// The account item is new.
    NewAccount,
    /// The account exists.
    AccountExists,
    /// The account exists and is linked to no partner yet.
    AccountUnlinked,
    /// The profile item is new.
    NewProfile,
    /// The profile is active.
    PartnerActive,
    /// The name guard is new: no other profile has the name.
    NameFree,
    /// The old name guard, released on a rename, is still this profile's.
    NameStillOurs,
    /// The slug guard is new: no other profile has the public URL.
    SlugFree,
    /// The member item is new.
    NewMember,
    /// The invitation code is new.
    NewInvitation,
    /// The invitation code exists and has not expired (deleting it uses it up).
    InvitationValid,
    /// The access request is new.
    NewAccessRequest,
    /// The access request is still pending, at the version read.
    RequestPending,
    /// The application's access-request mails of the day leave room for the batch.
    ApplicationMails,
    /// The partner's access-request mails of the day leave room for the batch.
    PartnerMails,
    /// Address `n` of the batch got no mail for this application today.
    NotMailedToday(usize),
}

/// The items of one TransactWriteItems, each with its [`Guard`]; built by the `put`, `update`,
/// `delete` and `check` methods, which fill in the table.
pub(super) struct Transaction<'a> {
    table: &'a str,
    items: Vec<TransactWriteItem>,
    guards: Vec<Guard>,
    /// What the transaction does, when it is a change of the portal's state.
    change: Option<&'a Change>,
}

impl<'a> Transaction<'a> {
    fn new(table: &'a str) -> Self {
        Self { table, items: Vec::new(), guards: Vec::new(), change: None }
    }

    fn push(&mut self, guard: Guard, item: TransactWriteItem) -> &mut Self {
        self.items.push(item);
        self.guards.push(guard);
        self
    }

    /// A Put whose condition, if any, protects `guard`.
    pub(super) fn put(&mut self, guard: Guard, put: PutBuilder) -> Result<&mut Self, StoreError> {
        let put = put.table_name(self.table).build().map_err(invalid)?;
        Ok(self.push(guard, TransactWriteItem::builder().put(put).build()))
    }

    /// A Put without condition.
    pub(super) fn put_item(&mut self, item: Item) -> Result<&mut Self, StoreError> {
        self.put(Guard::Unconditional, Put::builder().set_item(Some(item)))
    }

    /// A Put only if no item has its key yet.
    pub(super) fn put_new(&mut self, guard: Guard, item: Item) -> Result<&mut Self, StoreError> {
        self.put(guard, Put::builder().set_item(Some(item)).condition_expression("attribute_not_exists(PK)"))
    }

    /// A Put that expects `version` to be the stored one, or no item at all when `None`; `part`
    /// names it when it is not.
    pub(super) fn put_versioned(
        &mut self,
        part: Stale,
        item: Item,
        version: Option<u64>,
    ) -> Result<&mut Self, StoreError> {
        let put = Put::builder().set_item(Some(item));
        let put = match version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(v.to_string())),
        };
        self.put(Guard::Version(part), put)
    }

    pub(super) fn update(&mut self, guard: Guard, update: UpdateBuilder) -> Result<&mut Self, StoreError> {
        let update = update.table_name(self.table).build().map_err(invalid)?;
        Ok(self.push(guard, TransactWriteItem::builder().update(update).build()))
    }

    pub(super) fn delete(&mut self, guard: Guard, delete: DeleteBuilder) -> Result<&mut Self, StoreError> {
        let delete = delete.table_name(self.table).build().map_err(invalid)?;
        Ok(self.push(guard, TransactWriteItem::builder().delete(delete).build()))
    }

    /// A condition on an item the transaction does not write.
    pub(super) fn check(&mut self, guard: Guard, check: ConditionCheckBuilder) -> Result<&mut Self, StoreError> {
        let check = check.table_name(self.table).build().map_err(invalid)?;
        Ok(self.push(guard, TransactWriteItem::builder().condition_check(check).build()))
    }

    fn request(self, request: TransactWriteItemsFluentBuilder) -> (TransactWriteItemsFluentBuilder, Vec<Guard>) {
        (request.set_transact_items(Some(self.items)), self.guards)
    }
}

fn invalid(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// A transaction that was cancelled because conditions failed.
#[derive(Debug)]
pub(super) struct Cancelled {
    /// The guards whose condition failed, in request order; never empty.
    failed: Vec<Guard>,
    /// What the store reports when the failure means nothing to the caller.
    error: StoreError,
}

/// The steps that more than one store writes, so that each store module needs no other.
impl Transaction<'_> {
    /// Adds the steps that append `log` to an application's log.
    pub(super) fn append_application_log(
        &mut self,
        partner: &PartnerId,
        app: &ApplicationId,
        log: &[LogEntry],
    ) -> Result<(), StoreError> {
        for item in log_items(partner, Log::Application(app), log) {
            self.put_item(to_item(&item)?)?;
        }
        Ok(())
    }

    /// Adds the steps that write an application back to review: its item (only if it is still
    /// the version that was read) and its log.
    pub(super) fn resubmit(&mut self, r: &Resubmission<'_>) -> Result<(), StoreError> {
        self.put_versioned(Stale::Application, to_item(&ApplicationItem::new(r.after))?, Some(r.before.version))?;
        self.append_application_log(&r.after.partner_id, &r.after.id, r.log)
    }

    /// Adds the step that links an account to a partner, only if it is not linked yet.
    pub(super) fn link_account(&mut self, account: &AccountId, partner: &PartnerId) -> Result<(), StoreError> {
        let update = Update::builder()
            .set_key(Some(keys::account(account).item()))
            .update_expression("SET partner_id = :partner")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(partner_id)")
            .expression_attribute_values(":partner", AttributeValue::S(partner.to_string()));
        self.update(Guard::AccountUnlinked, update)?;
        Ok(())
    }
}

impl Cancelled {
    /// Whether the condition that protects `guard` failed.
    pub(super) fn failed(&self, guard: Guard) -> bool {
        self.failed.contains(&guard)
    }

    /// The guards whose condition failed, in request order.
    pub(super) fn failed_guards(&self) -> impl Iterator<Item = Guard> + '_ {
        self.failed.iter().copied()
    }

    /// The first part, in request order, that was no longer the version read.
    pub(super) fn stale(&self) -> Option<Stale> {
        self.failed.iter().find_map(|g| match g {
            Guard::Version(part) => Some(*part),
            _ => None,
        })
    }

    /// The error to return when no failed guard names an outcome of the caller's.
    pub(super) fn into_error(self) -> StoreError {
        self.error
    }
}

impl DynamoStore {
    pub(super) fn transaction(&self) -> Transaction<'_> {
        Transaction::new(&self.table)
    }

    /// A transaction that writes `change`: the one place where what follows from every change
    /// is added to the change's own transaction (a consent register row, an event for the
    /// partner's webhooks), and where a written change is logged.
    pub(super) fn transaction_for<'a>(&'a self, change: &'a Change) -> Transaction<'a> {
        Transaction { change: Some(change), ..Transaction::new(&self.table) }
    }

    /// Runs `transaction`. A cancellation in which conditions failed comes back as [`Cancelled`];
    /// any other failure (a throttle, a cancellation without a failed condition) as the error.
    /// A transaction cancelled only because another one held one of its items at that moment
    /// (`TransactionConflict`: two requests counting on the same counter, say) wrote nothing
    /// and is tried again, a few times, after a short pause.
    pub(super) async fn transact(&self, transaction: Transaction<'_>) -> Result<Result<(), Cancelled>, StoreError> {
        let change = transaction.change;
        let (request, guards) = transaction.request(self.client.transact_write_items());
        let mut attempt = 0;
        loop {
            let Err(e) = request.clone().send().await else {
                if let Some(change) = change {
                    tracing::info!(
                        change = change.kind(),
                        partner = change.partner().map(ToString::to_string),
                        application = change.application().map(ToString::to_string),
                        outcome = "written",
                        "change written"
                    );
                }
                return Ok(Ok(()));
            };
            let reasons = e.as_service_error().and_then(cancellation_reasons);
            match after_cancellation(reasons.as_deref(), &guards, attempt) {
                Next::Failed(failed) => return Ok(Err(Cancelled { failed, error: unavailable(e) })),
                Next::Retry => {
                    attempt += 1;
                    tracing::warn!(attempt, "transaction conflict: trying again");
                    tokio::time::sleep(conflict_pause(attempt)).await;
                }
                Next::Error => return Err(unavailable(e)),
            }
        }
    }

    /// Runs a transaction of versioned parts: a failed condition on one of them names the first
    /// part that was no longer as the caller read it.
    pub(super) async fn transact_versioned(&self, transaction: Transaction<'_>) -> Result<(), StoreError> {
        match self.transact(transaction).await? {
            Ok(()) => Ok(()),
            Err(cancelled) => match cancelled.stale() {
                Some(part) => Err(StoreError::Stale(part)),
                None => Err(cancelled.into_error()),
            },
        }
    }
}

/// The guards of the items whose condition failed: reason `n` is item `n`'s.
fn failed_guards(guards: &[Guard], failed: &[bool]) -> Vec<Guard> {
    guards.iter().zip(failed).filter(|(_, failed)| **failed).map(|(guard, _)| *guard).collect()
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";
const CONFLICT: &str = "TransactionConflict";
/// How often a transaction cancelled by a conflict is tried again.
const CONFLICT_RETRIES: u32 = 3;

/// The pause before try `attempt` (1, 2, 3): 25, 50, 100 ms, with up to as much again at random
/// so that the transactions that collided do not collide again.
fn conflict_pause(attempt: u32) -> std::time::Duration {
    let base = 25u64 << (attempt.saturating_sub(1)).min(4);
    let mut byte = [0u8; 1];
    let jitter = getrandom::fill(&mut byte).map_or(0, |()| u64::from(byte[0]) * base / 255);
    std::time::Duration::from_millis(base + jitter)
}

/// What to do after a transaction failed.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Conditions failed: these guards.
    Failed(Vec<Guard>),
    /// Only a conflict with another transaction, and tries are left: nothing was written.
    Retry,
    /// Anything else: the error.
    Error,
}

/// Decides from the cancellation's reasons (`None` when it was no cancellation) after `attempt`
/// retries so far.
fn after_cancellation(reasons: Option<&[String]>, guards: &[Guard], attempt: u32) -> Next {
    let Some(reasons) = reasons else { return Next::Error };
    let failed = failed_guards(guards, &reasons.iter().map(|r| r == CONDITION_FAILED).collect::<Vec<_>>());
    if !failed.is_empty() {
        Next::Failed(failed)
    } else if attempt < CONFLICT_RETRIES && reasons.iter().any(|r| r == CONFLICT) {
        Next::Retry
    } else {
        Next::Error
    }
}

/// The reason code of each item of a cancelled transaction, in request order (`"None"` for an
/// item that did not fail); `None` when the transaction failed for another reason.
fn cancellation_reasons(err: &TransactWriteItemsError) -> Option<Vec<String>> {
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = err else {
        return None;
    };
    let reasons = cancelled.cancellation_reasons();
    if !reasons.is_empty() {
        return Some(reasons.iter().map(|r| r.code().unwrap_or("None").to_owned()).collect());
    }
    // Some emulators put the reasons only in the message: "... [ConditionalCheckFailed, None]".
    let message = cancelled.message().unwrap_or_default();
    let list = message.rsplit_once('[').and_then(|(_, rest)| rest.split_once(']')).map(|(list, _)| list)?;
    Some(list.split(',').map(|r| r.trim().to_owned()).collect())
}

/// Which items of a cancelled transaction failed their condition, in request order.
#[cfg(test)]
fn failed_conditions(err: &TransactWriteItemsError) -> Option<Vec<bool>> {
    cancellation_reasons(err).map(|reasons| reasons.iter().map(|r| r == CONDITION_FAILED).collect())
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;

    use super::*;

    fn cancelled(codes: &[&str]) -> TransactWriteItemsError {
        let reasons = codes.iter().map(|code| CancellationReason::builder().code(*code).build()).collect();
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder().set_cancellation_reasons(Some(reasons)).build(),
        )
    }

    fn guards_of(transaction: &Transaction<'_>) -> Vec<Guard> {
        transaction.guards.clone()
    }

    #[test]
    fn a_failed_condition_is_named_by_the_label_of_its_item() {
        let mut t = Transaction::new("table");
        t.put_new(Guard::NewProfile, Item::new()).expect("a put");
        t.put_new(Guard::NameFree, Item::new()).expect("a put");
        t.put_new(Guard::SlugFree, Item::new()).expect("a put");
        t.put_item(Item::new()).expect("a put");
        let guards = guards_of(&t);
        assert_eq!(guards.len(), t.items.len());

        let failed =
            failed_conditions(&cancelled(&["None", "None", "ConditionalCheckFailed", "None"])).expect("a cancellation");
        assert_eq!(failed_guards(&guards, &failed), [Guard::SlugFree]);

        let failed =
            failed_conditions(&cancelled(&["None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None"]))
                .expect("a cancellation");
        assert_eq!(failed_guards(&guards, &failed), [Guard::NameFree, Guard::SlugFree]);
    }

    #[test]
    fn a_cancellation_without_a_failed_condition_names_nothing() {
        let guards = [Guard::Version(Stale::Profile), Guard::Unconditional];
        let failed = failed_conditions(&cancelled(&["TransactionConflict", "None"])).expect("a cancellation");
        assert!(failed_guards(&guards, &failed).is_empty());
    }

    #[test]
    fn a_conflict_with_another_transaction_is_tried_again_a_few_times_and_a_failed_condition_never() {
        let guards = [Guard::PartnerActive, Guard::ApplicationMails, Guard::NotMailedToday(0)];
        let reasons = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let conflict = reasons(&["None", "TransactionConflict", "None"]);
        assert_eq!(after_cancellation(Some(&conflict), &guards, 0), Next::Retry);
        assert_eq!(after_cancellation(Some(&conflict), &guards, CONFLICT_RETRIES - 1), Next::Retry);
        assert_eq!(after_cancellation(Some(&conflict), &guards, CONFLICT_RETRIES), Next::Error);
        // A failed condition is an answer, even beside a conflict: trying again cannot change it.
        let both = reasons(&["None", "TransactionConflict", "ConditionalCheckFailed"]);
        assert_eq!(after_cancellation(Some(&both), &guards, 0), Next::Failed(vec![Guard::NotMailedToday(0)]));
        assert_eq!(after_cancellation(Some(&reasons(&["None", "ThrottlingError", "None"])), &guards, 0), Next::Error);
        assert_eq!(after_cancellation(None, &guards, 0), Next::Error);
        for attempt in 1..=CONFLICT_RETRIES {
            let pause = conflict_pause(attempt).as_millis();
            let base = 25u128 << (attempt - 1);
            assert!((base..=2 * base).contains(&pause), "{attempt}: {pause} ms");
        }
    }

    #[test]
    fn reasons_only_in_the_message_count_too() {
        let err = TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .message("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]")
                .build(),
        );
        let failed = failed_conditions(&err).expect("a cancellation");
        let guards = [Guard::InvitationValid, Guard::AccountUnlinked];
        assert_eq!(failed_guards(&guards, &failed), [Guard::AccountUnlinked]);
    }

    #[test]
    fn the_first_stale_part_in_request_order_is_reported() {
        let cancelled = Cancelled {
            failed: vec![Guard::NameFree, Guard::Version(Stale::Client), Guard::Version(Stale::Profile)],
            error: StoreError::Unavailable("cancelled".into()),
        };
        assert_eq!(cancelled.stale(), Some(Stale::Client));
        assert!(cancelled.failed(Guard::NameFree));
        assert!(!cancelled.failed(Guard::SlugFree));
        let only_guards = Cancelled { failed: vec![Guard::PartnerActive], error: StoreError::InvalidCursor };
        assert_eq!(only_guards.stale(), None);
        assert!(matches!(only_guards.into_error(), StoreError::InvalidCursor));
    }

    #[test]
    fn other_failures_are_no_cancellation() {
        let err = TransactWriteItemsError::unhandled("throttled");
        assert_eq!(failed_conditions(&err), None);
    }
}
