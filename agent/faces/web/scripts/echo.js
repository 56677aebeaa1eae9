// The person's reply appears in the chat at once, drawn by the browser, with "…" for our answer,
// and the input box is emptied: nothing waits for the server, which sends the chat once per turn.
// The reply travels to the server's turn in the hidden `pending` box. Markdown-escaped like the
// server's md_text, since the chat renders Markdown (the server's chat replaces it when the turn ends).
// Returns [input box, chat, pending].
(text, chat) => {
  const t = (text || '').trim();
  if (!t) { return [text, chat, text]; }
  const shown = t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/([\\`*_{}\[\]()#+\-.!|~>])/g, '\\$1');
  const msg = (role, s) => ({role: role, metadata: null, options: null, content: [{type: 'text', text: s}]});
  return ['', [...(chat || []), msg('user', shown), msg('assistant', '…')], text];
}
