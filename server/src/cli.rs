//! The binary's commands besides serving: `import-original` (#18) and `set-password`. Each
//! reads Postboard's database from `DATABASE_URL`, as the server does, and needs nothing else.

use std::io::BufRead;
use std::str::FromStr;
use std::time::Duration;

use app::model::{LoginName, Password};
use app::server::auth::password::Passwords;
use app::server::import::{self, Options, Outcome};
use app::server::{db, Secret};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// No arguments: run the server.
    Serve,
    /// `import-original --from <url> [--dry-run] [--merge-case-duplicates] [--split-long-posts]`
    ImportOriginal { from: String, options: OptionsArg },
    /// `set-password --email <e-mail>`, the new password on standard input.
    SetPassword { email: String },
    /// `help`, `--help` or `-h`.
    Help,
}

/// `import::Options` as parsed (kept apart so that `Command` can compare).
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct OptionsArg {
    pub dry_run: bool,
    pub merge_case_duplicates: bool,
    pub split_long_posts: bool,
}

/// How to use the binary.
pub const USAGE: &str = "usage:
  server                                   run the server (settings from the environment; README, Configuration)
  server import-original --from <postgres-url> [--dry-run] [--merge-case-duplicates] [--split-long-posts]
                                           copy the original FastAPI app's users, posts and votes into DATABASE_URL
  server set-password --email <e-mail>     give an account a new password, read from standard input";

/// Reads the arguments after the program's name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Serve);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "import-original" => {
            let mut from = None;
            let mut options = OptionsArg::default();
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--from" => from = rest.next().cloned(),
                    "--dry-run" => options.dry_run = true,
                    "--merge-case-duplicates" => options.merge_case_duplicates = true,
                    "--split-long-posts" => options.split_long_posts = true,
                    other => return Err(format!("import-original: unknown argument {other:?}")),
                }
            }
            let from = from.ok_or("import-original: --from <postgres-url> is required")?;
            Ok(Command::ImportOriginal { from, options })
        }
        "set-password" => match rest {
            [flag, email] if flag == "--email" => Ok(Command::SetPassword {
                email: email.clone(),
            }),
            _ => Err("set-password: expected --email <e-mail>".to_owned()),
        },
        other => Err(format!("unknown command {other:?}")),
    }
}

/// Runs a command other than `Serve` (which `main` runs itself). Warnings and errors, with
/// their causes (a database error's own message), go to standard error; the report to standard
/// output.
pub async fn run(command: Command) -> Result<(), String> {
    let warnings = crate::telemetry::subscriber(
        crate::telemetry::LogFormat::Text,
        crate::telemetry::COMMAND_FILTER,
        std::io::stderr,
    );
    // Also forwards the `log` records of dependencies that use it.
    let _ = tracing_subscriber::util::SubscriberInitExt::try_init(warnings);
    match command {
        Command::Serve => Err("the server is started by main".to_owned()),
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::ImportOriginal { from, options } => import_original(&from, options).await,
        Command::SetPassword { email } => set_password(&email).await,
    }
}

/// Postboard's database (`DATABASE_URL`), migrated (over `DATABASE_MIGRATION_URL` when set, as
/// the server does). A dry run migrates too: it needs Postboard's tables to try the import in.
async fn target() -> Result<PgPool, String> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "DATABASE_URL is not set: set it to Postboard's database".to_owned())?;
    let options = PgConnectOptions::from_str(&url)
        .map_err(|error| format!("DATABASE_URL is not a valid PostgreSQL URL: {error}"))?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(db::session_options(options))
        .await
        .map_err(|error| format!("cannot connect to DATABASE_URL: {error}"))?;
    let migration_url = std::env::var("DATABASE_MIGRATION_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .map(Secret::new);
    let direct = migration_url
        .as_ref()
        .map(|url| (url, "DATABASE_MIGRATION_URL"));
    crate::startup::migrate(&pool, direct).await?;
    Ok(pool)
}

/// `import-original`: prints the report; an error lists why nothing was imported.
pub async fn import_original(from: &str, options: OptionsArg) -> Result<(), String> {
    let source_options = PgConnectOptions::from_str(from)
        .map_err(|error| format!("--from is not a valid PostgreSQL URL: {error}"))?;
    let mut source = PgConnection::connect_with(&source_options)
        .await
        .map_err(|error| format!("cannot connect to the source database (--from): {error}"))?;
    let target = target().await?;
    let options = Options {
        dry_run: options.dry_run,
        merge_case_duplicates: options.merge_case_duplicates,
        split_long_posts: options.split_long_posts,
    };
    match import::run(&mut source, &target, options).await {
        Ok(outcome) => {
            print!("{}", render(&outcome, options.dry_run));
            Ok(())
        }
        Err(refusal) => Err(format!(
            "nothing was imported:\n  {}",
            refusal.0.join("\n  ")
        )),
    }
}

/// The report an import prints.
pub fn render(outcome: &Outcome, dry_run: bool) -> String {
    let c = &outcome.counts;
    let seconds = outcome.elapsed.as_secs_f64().max(0.001);
    let rows = c.users_read + c.posts_read + c.votes_read;
    let mut text = format!(
        "{}\n\
         users: {} read, {} imported, {} already there, {} merged\n\
         posts: {} read, {} imported, {} already there, {} left out, {} continuation posts added\n\
         votes: {} read, {} imported, {} already there, {} left out, {} counted once after merging\n\
         {rows} rows in {seconds:.1} s ({:.0} rows/s)\n",
        if dry_run {
            "dry run: nothing was changed; an import would do this"
        } else {
            "imported"
        },
        c.users_read,
        c.users_imported,
        c.users_already_there,
        c.users_merged,
        c.posts_read,
        c.posts_imported,
        c.posts_already_there,
        c.posts_skipped,
        c.continuation_posts,
        c.votes_read,
        c.votes_imported,
        c.votes_already_there,
        c.votes_skipped,
        c.votes_collapsed,
        rows as f64 / seconds,
    );
    if outcome.report.is_empty() {
        text.push_str("every row fitted Postboard's rules as it was\n");
    } else {
        text.push_str("changed to fit Postboard's rules:\n");
        for line in &outcome.report {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// `set-password`: the first line of standard input becomes the account's password (the
/// sign-up rules apply); every session of the account keeps going.
pub async fn set_password(email: &str) -> Result<(), String> {
    let name = LoginName::parse(email, "email").map_err(|error| error.msg)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
    let password = Password::parse(line.trim_end_matches(['\r', '\n']))
        .map_err(|error| format!("the password is refused: {}", error.msg))?;
    let target = target().await?;
    let hash = Passwords::start()
        .hash(password)
        .await
        .map_err(|error| format!("cannot hash the password: {error:?}"))?;
    match db::user::set_password_hash_by_email(&target, name.as_str(), &hash).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("no account has the e-mail {:?}", name.as_str())),
        Err(error) => Err(format!("cannot store the password: {error:?}")),
    }
}
