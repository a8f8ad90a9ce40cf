-- assistant: images and files attached to a person's message in the web chat. An image keeps its
-- bytes (sent to models that read images, shown in the conversation); a text or PDF file keeps the
-- text read from it, which goes to the model with the message.
create table chat_attachment (
    id         uuid         primary key,
    message_id uuid         not null references chat_message (id) on delete cascade,
    position   integer      not null,
    name       varchar(255) not null,
    media_type varchar(100) not null,
    size_bytes bigint       not null,
    data       bytea,
    text       text
);

create index chat_attachment_message on chat_attachment (message_id, position);
