-- Display names: what others see of a user, instead of the e-mail address (which only its owner
-- and authenticated REST clients see). Chosen at sign-up, optional; unique without regard to
-- case, like e-mails. A user without one is shown as 'user#' and the id, which no chosen name
-- can be (model::field::DisplayName allows no '#'), so the two can never clash.
alter table users add column name text
    constraint users_name_length check (name is null or char_length(name) between 3 and 30);

create unique index users_name_key on users (lower(name));
