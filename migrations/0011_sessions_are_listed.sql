-- Sessions as their owner sees them on the account page: when each began, when it was last
-- used and from what browser or client, so that any one of them can be ended.
--
-- A session is one login: one refresh-token family (refresh_tokens.family_id). It stays live
-- while one of its tokens is unrevoked (live_viewer, migrations/0009); this table adds what the
-- owner is shown, and the row that exchanges and revocations of the session lock (select ...
-- for update), one at a time.
create table sessions (
    id           uuid        constraint sessions_pkey primary key,
    user_id      bigint      not null
        constraint sessions_user_id_fkey references users (id) on delete cascade,
    created_at   timestamptz not null default now(),
    -- When its tokens were last issued: at login, then at each refresh (so within an access
    -- token's lifetime of the last request).
    last_used_at timestamptz not null default now(),
    -- The User-Agent the session last renewed from, cut to 200 characters; '' when none.
    user_agent   text        not null default ''
);

create index sessions_user_idx on sessions (user_id);

-- The sessions that began before this table.
insert into sessions (id, user_id, created_at, last_used_at)
select family_id, min(user_id), min(created_at), max(coalesce(used_at, created_at))
from refresh_tokens
group by family_id;

-- No foreign key from refresh_tokens.family_id to sessions yet: during a rolling deploy the
-- instances still on the previous version issue tokens without a sessions row. A later
-- migration adds it, once every instance writes the row first (session::start does).
