//! What the import does to rows of the original app that Postboard's rules would refuse
//! (README, "Switching from the FastAPI app"). Pure functions over the rows: each returns the row
//! as it will be stored and, when it changed anything, the report line that says what.

use std::collections::HashMap;

use crate::model::{Content, Email, Title};

/// The title of a post whose title was blank.
pub const UNTITLED: &str = "(untitled)";
/// The content of a post whose content was blank.
pub const NO_CONTENT: &str = "(no content)";
/// What an account without a usable password gets as its hash: matches no password
/// (`HashKind::Unusable`), until `server set-password` gives it one.
pub const NO_PASSWORD: &str = "!imported without a password";

/// The shortest e-mail the `users` table holds (`users_email_length`), and the longest a login
/// accepts (`LoginName`): an account with a longer one could never log in.
const STORABLE_EMAIL: std::ops::RangeInclusive<usize> = 3..=Email::MAX_LEN;

/// The bcrypt costs accepted: passlib's default is 12; a much higher one would tie up a hashing
/// thread for seconds at every login attempt.
const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=14;

/// A user of the original app, as read.
#[derive(Debug, Clone)]
pub struct SourceUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub phone_number: Option<String>,
}

/// A post of the original app, as read.
#[derive(Debug, Clone)]
pub struct SourcePost {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub published: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub owner_id: i64,
}

/// A post as it will be stored: the original's row, or a continuation of a long one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow {
    pub title: String,
    pub content: String,
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The e-mail to store, or why it cannot be stored at all (the import then stops).
pub fn email(user: &SourceUser, report: &mut Vec<String>) -> Result<String, String> {
    let trimmed = user.email.trim();
    if !STORABLE_EMAIL.contains(&chars(trimmed)) {
        return Err(format!(
            "user {}: the e-mail {:?} has {} characters; Postboard's logins take 3 to 254: correct it in the source",
            user.id,
            user.email,
            chars(trimmed)
        ));
    }
    if trimmed != user.email {
        report.push(format!(
            "user {}: e-mail {:?} stored without its surrounding spaces",
            user.id, user.email
        ));
    }
    if let Err(error) = Email::parse(trimmed) {
        report.push(format!(
            "user {}: e-mail {trimmed:?} kept as it is, though Postboard's sign-up would refuse it ({}); they log in with it as before",
            user.id, error.msg
        ));
    }
    Ok(trimmed.to_owned())
}

/// The hash to store: the original's bcrypt hash as it is (verified as bcrypt, replaced by
/// argon2id at the first login), or `NO_PASSWORD`.
pub fn password_hash(user: &SourceUser, email: &str, report: &mut Vec<String>) -> String {
    if let Some(cost) = bcrypt_cost(&user.password) {
        if BCRYPT_COSTS.contains(&cost) {
            return user.password.clone();
        }
    }
    let what = if user.password.is_empty() {
        "had an empty password".to_owned()
    } else {
        format!(
            "had a password hash that is not a bcrypt hash of cost {} to {}",
            BCRYPT_COSTS.start(),
            BCRYPT_COSTS.end()
        )
    };
    report.push(format!(
        "user {} ({email}): {what}; they cannot log in until an operator runs `server set-password --email {email}`",
        user.id
    ));
    NO_PASSWORD.to_owned()
}

/// The cost of a well-formed bcrypt hash (`$2b$12$` and 53 characters of salt and hash).
fn bcrypt_cost(hash: &str) -> Option<u32> {
    use crate::server::auth::password::HashKind;
    if HashKind::of(hash) != HashKind::Bcrypt || hash.len() != 60 {
        return None;
    }
    hash.get(4..6)?.parse().ok()
}

/// The accounts whose e-mails are equal without regard to case (Postboard's uniqueness), each
/// group oldest first; groups of one are left out. `lowered` holds each user's e-mail as the
/// database lowers it (by id).
pub fn case_duplicates<'a>(
    users: &[&'a SourceUser],
    lowered: &HashMap<i64, String>,
) -> Vec<Vec<&'a SourceUser>> {
    let mut groups: HashMap<&str, Vec<&SourceUser>> = HashMap::new();
    for &user in users {
        let key = lowered.get(&user.id).map_or("", String::as_str);
        groups.entry(key).or_default().push(user);
    }
    let mut duplicates: Vec<Vec<&SourceUser>> = groups
        .into_values()
        .filter(|group| group.len() > 1)
        .map(|mut group| {
            group.sort_by_key(|user| (user.created_at, user.id));
            group
        })
        .collect();
    duplicates.sort_by_key(|group| group[0].id);
    duplicates
}

/// The title to store and, for an over-long one, the full title to keep at the top of the
/// content.
fn title(post: &SourcePost, report: &mut Vec<String>) -> (String, Option<String>) {
    let trimmed = post.title.trim();
    if trimmed.is_empty() {
        report.push(format!(
            "post {}: blank title replaced by {UNTITLED:?}",
            post.id
        ));
        return (UNTITLED.to_owned(), None);
    }
    if chars(trimmed) <= Title::MAX_LEN {
        if trimmed != post.title {
            report.push(format!(
                "post {}: title stored without its surrounding whitespace",
                post.id
            ));
        }
        return (trimmed.to_owned(), None);
    }
    // Cut at the last space that leaves room for the ellipsis, or mid-word if there is none.
    let head: String = trimmed.chars().take(Title::MAX_LEN - 1).collect();
    let cut = match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => head[..space].trim_end().to_owned(),
        _ => head,
    };
    report.push(format!(
        "post {}: title of {} characters cut to {} at a word, the full title kept at the top of the content",
        post.id,
        chars(trimmed),
        chars(&cut) + 1
    ));
    (format!("{cut}…"), Some(trimmed.to_owned()))
}

/// The rows to store for a post: the post itself (its id, votes and date kept) and, if its
/// content is too long and `split` allows it, continuation posts holding the rest, in order.
/// `Err` when it is too long and splitting was not allowed (the import then stops).
pub fn post(
    post: &SourcePost,
    split: bool,
    report: &mut Vec<String>,
) -> Result<Vec<NewRow>, String> {
    let (title, full_title) = title(post, report);
    let mut content = match full_title {
        Some(full) => format!("{full}\n\n{}", post.content),
        None => post.content.clone(),
    };
    if content.trim().is_empty() {
        report.push(format!(
            "post {}: blank content replaced by {NO_CONTENT:?}",
            post.id
        ));
        content = NO_CONTENT.to_owned();
    }
    let length = chars(&content);
    if length <= Content::MAX_LEN {
        return Ok(vec![NewRow { title, content }]);
    }
    if !split {
        return Err(format!(
            "post {}: content of {length} characters, over Postboard's {}: run again with --split-long-posts to continue it in further posts",
            post.id,
            Content::MAX_LEN
        ));
    }
    let characters: Vec<char> = content.chars().collect();
    let parts: Vec<String> = characters
        .chunks(Content::MAX_LEN)
        .map(|chunk| chunk.iter().collect())
        .collect();
    let count = parts.len();
    report.push(format!(
        "post {}: content of {length} characters split into {count} posts (the first keeps the id and the votes; the others follow it, titled \"(continued n/{count})\")",
        post.id
    ));
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(index, content)| NewRow {
            title: if index == 0 {
                title.clone()
            } else {
                let suffix = format!(" (continued {}/{count})", index + 1);
                let room = Title::MAX_LEN.saturating_sub(chars(&suffix));
                let base: String = title.chars().take(room).collect();
                format!("{base}{suffix}")
            },
            content,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, email: &str, password: &str) -> SourceUser {
        SourceUser {
            id,
            email: email.to_owned(),
            password: password.to_owned(),
            created_at: chrono::DateTime::from_timestamp(1_700_000_000 + id, 0).unwrap(),
            phone_number: None,
        }
    }

    fn post_with(title: &str, content: &str) -> SourcePost {
        SourcePost {
            id: 7,
            title: title.to_owned(),
            content: content.to_owned(),
            published: true,
            created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            owner_id: 1,
        }
    }

    #[test]
    fn a_blank_title_becomes_untitled_and_says_so() {
        let mut report = Vec::new();
        let rows = post(&post_with("   ", "body"), false, &mut report).unwrap();
        assert_eq!(rows[0].title, UNTITLED);
        assert_eq!(report.len(), 1);
    }

    #[test]
    fn a_long_title_is_cut_at_a_word_and_kept_whole_in_the_content() {
        let long = "word ".repeat(100);
        let mut report = Vec::new();
        let rows = post(&post_with(&long, "body"), false, &mut report).unwrap();
        assert!(chars(&rows[0].title) <= Title::MAX_LEN);
        assert!(rows[0].title.ends_with("word…"), "{}", rows[0].title);
        assert!(rows[0].content.starts_with(long.trim()));
        assert!(rows[0].content.ends_with("\n\nbody"));
    }

    #[test]
    fn long_content_is_refused_unless_splitting_is_allowed_and_then_nothing_is_lost() {
        let content = "é".repeat(45_000);
        let mut report = Vec::new();
        assert!(post(&post_with("t", &content), false, &mut report).is_err());
        let rows = post(&post_with("t", &content), true, &mut report).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].title, "t (continued 3/3)");
        let joined: String = rows.iter().map(|row| row.content.as_str()).collect();
        assert_eq!(joined, content);
        assert!(rows
            .iter()
            .all(|row| chars(&row.content) <= Content::MAX_LEN));
    }

    #[test]
    fn an_empty_password_becomes_unusable_and_is_reported() {
        let mut report = Vec::new();
        let hash = password_hash(&user(1, "a@b.co", ""), "a@b.co", &mut report);
        assert_eq!(hash, NO_PASSWORD);
        assert!(report[0].contains("set-password"), "{report:?}");
    }

    #[test]
    fn emails_equal_without_regard_to_case_are_grouped_oldest_first() {
        let users = [
            user(3, "Ann@x.org", "h"),
            user(1, "ann@x.org", "h"),
            user(2, "bob@x.org", "h"),
        ];
        let lowered: HashMap<i64, String> = users
            .iter()
            .map(|u| (u.id, u.email.to_lowercase()))
            .collect();
        let groups = case_duplicates(&users.iter().collect::<Vec<_>>(), &lowered);
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0].iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![1, 3]
        );
    }

    #[test]
    fn only_bcrypt_hashes_of_a_sane_cost_are_kept() {
        let passlib = "$2b$12$csoXQTRxK9XRB9G9av62XewWCxqSixEUXhDMq/WX/tU0cgJXHK5Lm";
        let mut report = Vec::new();
        assert_eq!(
            password_hash(&user(1, "a@b.co", passlib), "a@b.co", &mut report),
            passlib
        );
        let slow = passlib.replace("$12$", "$31$");
        assert_eq!(
            password_hash(&user(2, "a@b.co", &slow), "a@b.co", &mut report),
            NO_PASSWORD
        );
        let argon = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        assert_eq!(
            password_hash(&user(3, "a@b.co", argon), "a@b.co", &mut report),
            NO_PASSWORD
        );
        assert_eq!(report.len(), 2);
    }

    #[test]
    fn an_email_too_short_to_store_stops_the_import() {
        let mut report = Vec::new();
        assert!(email(&user(1, "a", "h"), &mut report).is_err());
        assert_eq!(
            email(&user(2, " not-an-email ", "h"), &mut report).unwrap(),
            "not-an-email"
        );
        assert_eq!(report.len(), 2, "{report:?}");
    }
}
