-- Opaque refresh tokens. Only the SHA-256 of a token is stored, so a leaked table cannot be used
-- to log in. Tokens descending from one login share a family; presenting a token that was already
-- rotated (used_at set) revokes the whole family, which ends a session whose token was stolen.
create table refresh_tokens (
    id          bigint generated always as identity constraint refresh_tokens_pkey primary key,
    token_hash  bytea       not null constraint refresh_tokens_token_hash_key unique,
    family_id   uuid        not null,
    user_id     bigint      not null
        constraint refresh_tokens_user_id_fkey references users (id) on delete cascade,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    -- Set when this token was exchanged for a new one.
    used_at     timestamptz,
    -- Set on logout or when reuse of a rotated token is detected.
    revoked_at  timestamptz
);

create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_user_idx on refresh_tokens (user_id);
