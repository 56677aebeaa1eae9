// An option button's reply: shown as its number (what view.choice_reply sends), while its label goes
// to the server, which maps it. The input box keeps what is typed there. Uses echo.js as `echo`.
(text, label, chat) => {
  const m = /^(\d+)\./.exec(label || '');
  const out = echo(m ? m[1] : label, chat);
  return [text, out[1], label];
}
