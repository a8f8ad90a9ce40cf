-- assistant: responses of the Responses API, kept for previous_response_id (and GET /v1/responses/{id}).
-- items is the whole conversation so far as input items (the earlier responses' input and output,
-- then this one's); response is the response object as it was returned. Each belongs to one person.
create table api_response (
    id         varchar(64)  primary key,
    person_id  uuid         not null,
    model      varchar(200) not null,
    items      text         not null,
    response   text         not null,
    created_at timestamp with time zone not null
);

create index api_response_person on api_response (person_id, created_at);
