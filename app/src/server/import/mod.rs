//! `server import-original`: copies the original FastAPI app's users, posts and votes into
//! Postboard, keeping ids, owners, dates and vote counts (#18). The source is read in one
//! read-only, repeatable-read transaction; everything is written in one transaction on
//! Postboard's database, so an import that cannot keep its rules (`rules`) stops with nothing
//! written. Running it again adds only what is new: a ledger (`imported_rows`) says what earlier
//! runs dealt with. A dry run does the same work and rolls it back.

pub mod rules;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

use crate::error::AppError;
use crate::server::db;
use rules::{SourcePost, SourceUser};

/// The revision of the original app's migrations this importer was written against.
pub const KNOWN_REVISION: &str = "c47ecbf163d4";

/// Rows read and written at a time.
const POST_BATCH: i64 = 5_000;
const VOTE_BATCH: i64 = 50_000;

/// What the operator chose.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Do everything, then roll back: print the report, change nothing.
    pub dry_run: bool,
    /// Accounts whose e-mails differ only in case become one: the oldest, which gets the
    /// others' posts and votes (`--merge-case-duplicates`). Without it, the import stops and
    /// lists them.
    pub merge_case_duplicates: bool,
    /// A post longer than Postboard allows goes on in further posts (`--split-long-posts`).
    /// Without it, the import stops and lists them.
    pub split_long_posts: bool,
}

/// How many rows of each kind were read, written and left.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub users_read: u64,
    pub users_imported: u64,
    pub users_already_there: u64,
    pub users_merged: u64,
    pub posts_read: u64,
    pub posts_imported: u64,
    pub posts_already_there: u64,
    pub continuation_posts: u64,
    pub votes_read: u64,
    pub votes_imported: u64,
    pub votes_already_there: u64,
    pub votes_collapsed: u64,
    /// Votes not copied: both their account and post came with an earlier run, or one of them
    /// was deleted here since.
    pub votes_skipped: u64,
    /// Posts not copied: their author's account was deleted here since an earlier run.
    pub posts_skipped: u64,
    pub phone_numbers_left_out: u64,
    /// The source users this run brought over (kept or merged).
    pub new_user_ids: HashSet<i64>,
}

/// A finished import (or dry run): the report's lines and the counts.
#[derive(Debug)]
pub struct Outcome {
    pub report: Vec<String>,
    pub counts: Counts,
    pub elapsed: Duration,
}

/// Why nothing was imported: every problem found, one a line.
#[derive(Debug)]
pub struct Refusal(pub Vec<String>);

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self(vec![format!("database error: {error:?}")])
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        Self(vec![format!("database error: {error}")])
    }
}

/// Imports from `source` (the original app's database) into `target` (Postboard's, migrated).
pub async fn run(
    source: &mut PgConnection,
    target: &PgPool,
    options: Options,
) -> Result<Outcome, Refusal> {
    let started = Instant::now();
    let mut report = Vec::new();
    let mut counts = Counts::default();
    let mut reading = source.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *reading)
        .await?;
    match db::original::revision(&mut reading).await? {
        Some(revision) if revision == KNOWN_REVISION => {}
        Some(revision) => report.push(format!(
            "the source is at alembic revision {revision}, not {KNOWN_REVISION}: its tables are read as that revision has them"
        )),
        None => report.push(
            "the source has no alembic_version table: its tables are read as revision c47ecbf163d4 has them".to_owned(),
        ),
    }
    let users = db::original::users(&mut reading).await?;
    counts.users_read = users.len() as u64;

    let mut writing = target.begin().await?;
    // No sign-up or new post may take an id between the checks below and the inserts (a dry
    // run writes nothing that stays, and does not hold writes up).
    if !options.dry_run {
        db::lock_for_import(&mut writing).await?;
    }
    // What an earlier run brought over is left as it is, even if deleted here since.
    let mut owner_of: HashMap<i64, i64> = db::imported_row::all(&mut writing, "user")
        .await?
        .into_iter()
        .filter_map(|(source_id, target_id)| Some((source_id, target_id?)))
        .collect();
    let earlier_accounts: HashSet<i64> = owner_of.values().copied().collect();
    let imported_posts: HashSet<i64> = db::imported_row::all(&mut writing, "post")
        .await?
        .into_iter()
        .map(|(source_id, _)| source_id)
        .collect();
    let new_users: Vec<&SourceUser> = users
        .iter()
        .filter(|user| !owner_of.contains_key(&user.id))
        .collect();
    counts.users_already_there = (users.len() - new_users.len()) as u64;
    let emails: Vec<String> = new_users
        .iter()
        .map(|u| u.email.trim().to_owned())
        .collect();
    let lowered: HashMap<i64, String> = new_users
        .iter()
        .map(|u| u.id)
        .zip(db::lowercase(&mut writing, &emails).await?)
        .collect();

    // Users first: their rules can refuse the whole import before anything is written.
    let (accounts, merged_into) =
        plan_users(&new_users, &lowered, options, &mut report, &mut counts)?;
    check_target(&mut writing, &accounts, &lowered, &earlier_accounts).await?;
    for chunk in accounts.chunks(10_000) {
        let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
        let emails: Vec<String> = chunk.iter().map(|a| a.email.clone()).collect();
        let hashes: Vec<String> = chunk.iter().map(|a| a.password_hash.clone()).collect();
        let dates: Vec<_> = chunk.iter().map(|a| a.created_at).collect();
        counts.users_imported +=
            db::user::import(&mut *writing, &ids, &emails, &hashes, &dates).await?;
        let targets: Vec<Option<i64>> = ids.iter().copied().map(Some).collect();
        db::imported_row::record(&mut writing, "user", &ids, &targets).await?;
    }
    let (merged, kept): (Vec<i64>, Vec<Option<i64>>) =
        merged_into.iter().map(|(m, k)| (*m, Some(*k))).unzip();
    db::imported_row::record(&mut writing, "user", &merged, &kept).await?;
    owner_of.extend(accounts.iter().map(|a| (a.id, a.id)));
    owner_of.extend(merged_into);
    // Accounts here now (an imported one may have been deleted by its owner since).
    let owners: Vec<i64> = owner_of.values().copied().collect();
    let live_users: HashSet<i64> = db::user::existing(&mut *writing, &owners)
        .await?
        .into_iter()
        .collect();

    let mut refusals = Vec::new();
    let mut continuations = Vec::new();
    let mut new_posts = HashSet::new();
    let batch = Batch {
        owner_of: &owner_of,
        live_users: &live_users,
        options,
    };
    let mut after = 0;
    loop {
        let posts = db::original::posts_after(&mut reading, after, POST_BATCH).await?;
        let Some(last) = posts.last() else { break };
        after = last.id;
        counts.posts_read += posts.len() as u64;
        let read = posts.len();
        let fresh: Vec<SourcePost> = posts
            .into_iter()
            .filter(|post| !imported_posts.contains(&post.id))
            .collect();
        counts.posts_already_there += (read - fresh.len()) as u64;
        let written = batch
            .import_posts(
                &mut writing,
                &fresh,
                &mut report,
                &mut refusals,
                &mut counts,
            )
            .await?;
        new_posts.extend(written.ids);
        continuations.extend(written.continuations);
    }
    if !refusals.is_empty() {
        return Err(Refusal(refusals));
    }
    // After every post of the source, so that their ids come after all of the source's (the
    // tables are locked: nothing else takes one meanwhile).
    for continuation in &continuations {
        db::post::import_continuation(
            &mut *writing,
            &continuation.row.title,
            &continuation.row.content,
            continuation.published,
            continuation.created_at,
            continuation.owner_id,
            after,
        )
        .await?;
        counts.continuation_posts += 1;
    }

    import_votes(
        &mut reading,
        &mut writing,
        &owner_of,
        &live_users,
        &new_posts,
        &mut counts,
    )
    .await?;
    if counts.votes_collapsed > 0 {
        report.push(format!(
            "{} votes of merged accounts on posts the surviving account had also voted on counted once",
            counts.votes_collapsed
        ));
    }
    if counts.votes_skipped > 0 {
        report.push(format!(
            "{} votes left as they are here: their account and their post were both imported by an earlier run (a vote withdrawn here since is not cast again), or one of them was deleted here since",
            counts.votes_skipped
        ));
    }
    if counts.phone_numbers_left_out > 0 {
        report.push(format!(
            "{} phone numbers left out: Postboard has no such field (they stay in the source)",
            counts.phone_numbers_left_out
        ));
    }
    let source_users = users.iter().map(|u| u.id).max().unwrap_or(0);
    let source_posts = after;
    reading.rollback().await?;
    if options.dry_run {
        writing.rollback().await?;
    } else {
        db::move_sequences_past_ids(&mut writing, source_users, source_posts).await?;
        writing.commit().await?;
    }
    Ok(Outcome {
        report,
        counts,
        elapsed: started.elapsed(),
    })
}

/// Copies the votes that involve an account or a post this run brought over; merged accounts
/// vote as the one they became, and a post both voted on counts once.
async fn import_votes(
    reading: &mut PgConnection,
    writing: &mut PgConnection,
    owner_of: &HashMap<i64, i64>,
    live_users: &HashSet<i64>,
    new_posts: &HashSet<i64>,
    counts: &mut Counts,
) -> Result<(), Refusal> {
    let mut after = (0, 0);
    loop {
        let votes = db::original::votes_after(reading, after, VOTE_BATCH).await?;
        let Some(&last) = votes.last() else { break };
        after = last;
        counts.votes_read += votes.len() as u64;
        let mut seen = HashSet::new();
        let mut pairs = Vec::with_capacity(votes.len());
        for &(user, post) in &votes {
            let voter = owner_of.get(&user).copied().unwrap_or(user);
            let is_new = new_posts.contains(&post) || counts.new_user_ids.contains(&user);
            if !is_new || !live_users.contains(&voter) {
                counts.votes_skipped += 1;
            } else if !seen.insert((voter, post)) {
                counts.votes_collapsed += 1;
            } else {
                pairs.push((voter, post));
            }
        }
        // A vote on a post imported earlier and deleted here since has nothing to count on.
        let old_posts: Vec<i64> = pairs
            .iter()
            .map(|&(_, post)| post)
            .filter(|post| !new_posts.contains(post))
            .collect();
        let live_old: HashSet<i64> = db::post::existing(&mut *writing, &old_posts)
            .await?
            .into_iter()
            .collect();
        let (voters, posts): (Vec<i64>, Vec<i64>) = pairs
            .into_iter()
            .filter(|(_, post)| {
                let is_live = new_posts.contains(post) || live_old.contains(post);
                if !is_live {
                    counts.votes_skipped += 1;
                }
                is_live
            })
            .unzip();
        let imported = db::vote::import(writing, &voters, &posts).await?;
        counts.votes_imported += imported;
        counts.votes_already_there += voters.len() as u64 - imported;
    }
    Ok(())
}

/// An account as it will be stored.
struct Account {
    id: i64,
    email: String,
    password_hash: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The accounts to store, and the merged accounts' ids mapped to the one each became. Refuses
/// when an e-mail cannot be stored, or when e-mails differ only in case and merging was not
/// chosen.
fn plan_users(
    users: &[&SourceUser],
    lowered: &HashMap<i64, String>,
    options: Options,
    report: &mut Vec<String>,
    counts: &mut Counts,
) -> Result<(Vec<Account>, HashMap<i64, i64>), Refusal> {
    let mut refusals = Vec::new();
    let mut merged_into = HashMap::new();
    for group in rules::case_duplicates(users, lowered) {
        let kept = group[0];
        let others: Vec<String> = group[1..]
            .iter()
            .map(|user| format!("{} ({})", user.id, user.email))
            .collect();
        if options.merge_case_duplicates {
            report.push(format!(
                "users {} merged into user {} ({}), the oldest: their posts and votes are now theirs, and their passwords are gone",
                others.join(", "),
                kept.id,
                kept.email
            ));
            for other in &group[1..] {
                merged_into.insert(other.id, kept.id);
            }
        } else {
            refusals.push(format!(
                "user {} ({}) and users {} have e-mails equal without regard to case, which Postboard treats as one account: run again with --merge-case-duplicates to merge them into the oldest, or change them in the source",
                kept.id,
                kept.email,
                others.join(", ")
            ));
        }
    }
    let mut accounts = Vec::new();
    for &user in users {
        counts.new_user_ids.insert(user.id);
        if merged_into.contains_key(&user.id) {
            counts.users_merged += 1;
            continue;
        }
        match rules::email(user, report) {
            Ok(email) => {
                if user.phone_number.as_deref().is_some_and(|p| !p.is_empty()) {
                    counts.phone_numbers_left_out += 1;
                }
                let password_hash = rules::password_hash(user, &email, report);
                accounts.push(Account {
                    id: user.id,
                    email,
                    password_hash,
                    created_at: user.created_at,
                });
            }
            Err(refusal) => refusals.push(refusal),
        }
    }
    if refusals.is_empty() {
        Ok((accounts, merged_into))
    } else {
        Err(Refusal(refusals))
    }
}

/// Refuses when an account holds one of the ids or, without regard to case, one of the e-mails:
/// one made in Postboard (the import keeps ids and e-mails, so it cannot bring that user over),
/// or one an earlier import brought over (`earlier`: a new user of the source whose e-mail
/// differs from it only in case).
async fn check_target(
    conn: &mut PgConnection,
    accounts: &[Account],
    lowered: &HashMap<i64, String>,
    earlier: &HashSet<i64>,
) -> Result<(), Refusal> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let emails: Vec<String> = accounts
        .iter()
        .filter_map(|a| lowered.get(&a.id).cloned())
        .collect();
    let mut refusals = Vec::new();
    for (id, email) in db::user::matching(&mut *conn, &ids, &emails).await? {
        refusals.push(if earlier.contains(&id) {
            format!(
                "user {id} ({email}), brought over by an earlier import, has the e-mail of a new user of the source without regard to case: change one of the two in the source"
            )
        } else {
            format!(
                "Postboard already has user {id} ({email}), made there, which a user of the source would collide with (the same id, or the same e-mail): the import keeps ids and e-mails, so it cannot bring that user over; delete or rename one of the two first"
            )
        });
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Refusal(refusals))
    }
}

/// A post that goes on from an imported one whose content was too long.
struct Continuation {
    row: rules::NewRow,
    published: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    owner_id: i64,
}

/// What every batch of posts is written with.
struct Batch<'a> {
    owner_of: &'a HashMap<i64, i64>,
    /// The accounts that exist here (an imported one may have been deleted since).
    live_users: &'a HashSet<i64>,
    options: Options,
}

/// What a batch wrote: the posts' ids, and the continuations still to write.
struct Written {
    ids: Vec<i64>,
    continuations: Vec<Continuation>,
}

impl Batch<'_> {
    /// Writes one batch of posts: the rules applied, owners mapped through merges. Returns the
    /// continuations of the long posts written now (a second run must not add them again).
    /// Rows over the limits without `--split-long-posts` are collected in `refusals` (the
    /// import then stops, after reading every post).
    async fn import_posts(
        &self,
        conn: &mut PgConnection,
        posts: &[SourcePost],
        report: &mut Vec<String>,
        refusals: &mut Vec<String>,
        counts: &mut Counts,
    ) -> Result<Written, Refusal> {
        let owner = |post: &SourcePost| {
            self.owner_of
                .get(&post.owner_id)
                .copied()
                .unwrap_or(post.owner_id)
        };
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        let taken: HashSet<i64> = db::post::existing(&mut *conn, &ids)
            .await?
            .into_iter()
            .collect();
        let mut firsts = Vec::with_capacity(posts.len());
        let mut continued = HashMap::new();
        let mut left_out = Vec::new();
        for post in posts {
            if taken.contains(&post.id) {
                refusals.push(format!(
                    "post {}: its id is taken here by a post made in Postboard: the import keeps ids, so it cannot bring it over; delete one of the two first",
                    post.id
                ));
                continue;
            }
            if !self.live_users.contains(&owner(post)) {
                report.push(format!(
                    "post {}: not brought over, its author's account was deleted here since an earlier import",
                    post.id
                ));
                counts.posts_skipped += 1;
                left_out.push(post.id);
                continue;
            }
            match rules::post(post, self.options.split_long_posts, report) {
                Ok(mut rows) => {
                    let first = rows.remove(0);
                    if !rows.is_empty() {
                        continued.insert(post.id, rows);
                    }
                    firsts.push((post, first));
                }
                Err(refusal) => refusals.push(refusal),
            }
        }
        if !refusals.is_empty() {
            return Ok(Written {
                ids: Vec::new(),
                continuations: Vec::new(),
            });
        }
        let inserted = db::post::import(
            &mut *conn,
            &firsts.iter().map(|(p, _)| p.id).collect::<Vec<_>>(),
            &firsts
                .iter()
                .map(|(_, r)| r.title.clone())
                .collect::<Vec<_>>(),
            &firsts
                .iter()
                .map(|(_, r)| r.content.clone())
                .collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| p.published).collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| p.created_at).collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| owner(p)).collect::<Vec<_>>(),
        )
        .await?;
        let targets: Vec<Option<i64>> = inserted.iter().copied().map(Some).collect();
        db::imported_row::record(&mut *conn, "post", &inserted, &targets).await?;
        // Left out for good: a later run must not try again (its id may be taken by then).
        db::imported_row::record(&mut *conn, "post", &left_out, &vec![None; left_out.len()])
            .await?;
        counts.posts_imported += inserted.len() as u64;
        let mut continuations = Vec::new();
        for (post, _) in &firsts {
            for row in continued.remove(&post.id).unwrap_or_default() {
                continuations.push(Continuation {
                    row,
                    published: post.published,
                    created_at: post.created_at,
                    owner_id: owner(post),
                });
            }
        }
        Ok(Written {
            ids: inserted,
            continuations,
        })
    }
}
