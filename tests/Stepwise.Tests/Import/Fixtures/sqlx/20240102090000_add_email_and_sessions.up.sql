alter table users add column email text;
create table sessions (id uuid primary key, user_id bigint not null references users);
