-- Add migration script here
create table users (
    id bigserial primary key,
    username text not null unique
);
