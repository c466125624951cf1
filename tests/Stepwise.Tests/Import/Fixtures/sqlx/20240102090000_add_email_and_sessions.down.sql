drop table sessions;
alter table users drop column email;
