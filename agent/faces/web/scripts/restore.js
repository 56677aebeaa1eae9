// After a turn: a reply the server could not take (`pending` still holds it) goes back into the
// input box, unless something new was typed there meanwhile.
(pending, text) => [pending && !text ? pending : text]
