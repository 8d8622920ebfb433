-- Accounts. The e-mail is stored as the user typed it (trimmed) but is unique without regard to
-- case: the index on lower(email) decides, so two sign-ups racing each other cannot both win.
create table users (
    id            bigint generated always as identity constraint users_pkey primary key,
    email         text        not null,
    -- argon2id PHC string ($argon2id$v=19$m=19456,t=2,p=1$...); never leaves the server.
    password_hash text        not null,
    created_at    timestamptz not null default now(),
    constraint users_email_length check (char_length(email) between 3 and 320)
);

create unique index users_email_key on users (lower(email));
