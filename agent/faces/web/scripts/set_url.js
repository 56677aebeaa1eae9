// Set the page's address to ?session=NAME without reloading, so that a reload or a copied link
// resumes the session.
(name) => {
  if (name) { const u = new URL(window.location.href); u.searchParams.set('session', name);
              window.history.replaceState(null, '', u.toString()); }
  return [];
}
