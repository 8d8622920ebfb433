-- What `server import-original` has brought over from the original app (#18), so that running it
-- again adds only what is new: a row listed here is never imported again, even if it has been
-- deleted in Postboard since (an account its owner deleted does not come back). Written in the
-- import's own transaction.
create table imported_rows (
    -- 'user' or 'post'.
    kind      text        not null,
    -- The row's id in the original app's database.
    source_id bigint      not null,
    -- The id it has here: the same, or, for an account merged into another (e-mails equal
    -- without regard to case), the account it became; null for a post not brought over (its
    -- author's account was deleted here after an earlier import).
    target_id bigint,
    imported_at timestamptz not null default now(),
    constraint imported_rows_pkey primary key (kind, source_id),
    constraint imported_rows_kind check (kind in ('user', 'post'))
);
