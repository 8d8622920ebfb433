-- One vote per (user, post): the primary key is what makes concurrent identical votes give one
-- success and conflicts, never a duplicate.
create table votes (
    user_id    bigint      not null
        constraint votes_user_id_fkey references users (id) on delete cascade,
    post_id    bigint      not null
        constraint votes_post_id_fkey references posts (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint votes_pkey primary key (user_id, post_id)
);

-- Cascading deletes of a post look votes up by post.
create index votes_post_id_idx on votes (post_id);

-- posts.votes follows the rows of this table whatever deletes them: a vote withdrawn, or the
-- cascade when a voter's account is deleted.
create function votes_maintain_post_count() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        update posts set votes = votes + 1 where id = new.post_id;
        return new;
    else
        update posts set votes = votes - 1 where id = old.post_id;
        return old;
    end if;
end;
$$;

create trigger votes_count_on_insert after insert on votes
    for each row execute function votes_maintain_post_count();
create trigger votes_count_on_delete after delete on votes
    for each row execute function votes_maintain_post_count();
