-- db::user::find: the auth extractor, on every authenticated request.
select id, email, created_at from users where id = :viewer;
