-- Writes replayed by the browser's offline outbox carry an idempotency key. The first request
-- with a key stores its answer here in the same transaction as the write; a replay (the
-- response was lost, the connection dropped) gets that answer back instead of a second write.
create table idempotency_keys (
    user_id    bigint      not null
        constraint idempotency_keys_user_id_fkey references users (id) on delete cascade,
    key        text        not null,
    -- The JSON the first request answered with.
    response   jsonb       not null,
    created_at timestamptz not null default now(),
    constraint idempotency_keys_pkey primary key (user_id, key),
    constraint idempotency_keys_key_length check (char_length(key) between 1 and 100)
);
