-- The abuse limits of logins and sign-ups, kept here rather than in each server process, so
-- that every instance enforces one limit and a restart forgets nothing
-- (app/src/server/auth/throttle.rs says how they are used). Rows are small, fixed-size and
-- short-lived: the periodic clean-up deletes them once their window has passed.

-- Failed logins: of an account from anywhere, and of one client at one account.
create table login_failures (
    -- login_account_key(name) or login_client_key(client, name), below: 16 bytes of a SHA-256,
    -- never the name itself.
    key       bytea       constraint login_failures_pkey primary key,
    -- Attempts that failed since `since` (for a client at an account, attempts still in flight
    -- are counted too, and forgiven when they succeed).
    failures  integer     not null,
    -- When the counting window began; a window over `LOGIN_FAILURE_WINDOW_MINUTES` old is
    -- started afresh on the next attempt.
    since     timestamptz not null default now(),
    -- For an account past the limit: when its next attempt may be checked (attempts are taken
    -- one at a time, a fixed step apart).
    next_slot timestamptz not null default now(),
    constraint login_failures_key_length check (octet_length(key) = 16)
);

create index login_failures_since_idx on login_failures (since);

-- The keys, made here so that the login name is lowered exactly as the login's own lookup lowers
-- it (`lower(email) = lower($1)`, by the database's rules: Rust's differ for a few letters, such
-- as U+0130, and each difference would be a fresh count for the same account).
create function login_account_key(name text) returns bytea
language sql stable parallel safe
as $$ select substring(sha256(convert_to('account:' || lower(name), 'UTF8')) from 1 for 16) $$;

-- The client's part is hex, so that no address and name can spell another pair's key.
create function login_client_key(client bytea, name text) returns bytea
language sql stable parallel safe
as $$
    select substring(sha256(convert_to('client:' || encode(client, 'hex') || '/' || lower(name), 'UTF8'))
                     from 1 for 16)
$$;

-- The per-client budget of login and sign-up attempts, as a generic cell rate algorithm: one
-- timestamp per client says when its budget is whole again.
create table client_limits (
    -- An IPv4 address (4 bytes) or the /64 network of an IPv6 address (16 bytes).
    client  bytea       constraint client_limits_pkey primary key,
    -- The theoretical arrival time: the budget is full again at this instant; an attempt is
    -- admitted while it is less than (burst - 1) intervals ahead of now.
    full_at timestamptz not null,
    constraint client_limits_client_length check (octet_length(client) in (4, 16))
);

create index client_limits_full_at_idx on client_limits (full_at);
