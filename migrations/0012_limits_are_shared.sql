-- The abuse limits of logins and sign-ups, kept here rather than in each server process, so
-- that every instance enforces one limit and a restart forgets nothing
-- (app/src/server/auth/throttle.rs says how they are used). Rows are small, fixed-size and
-- short-lived: the periodic clean-up deletes them once their window has passed.

-- Failed logins: of an account from anywhere, and of one client at one account.
create table login_failures (
    -- The first 16 bytes of a SHA-256: of "account:" and the login name in lower case, or of
    -- "client:", the client's address and the name. Never the name itself.
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
