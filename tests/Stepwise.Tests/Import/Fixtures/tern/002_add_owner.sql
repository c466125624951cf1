alter table projects add column owner text;

---- create above / drop below ----

alter table projects drop column owner;
