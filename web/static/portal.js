// The demo portal's own script (not part of the form): the email that asks an agent for more
// details links to this page with `?details=<link token>`. The portal then puts the token on
// the element and loads the details form's build instead of the request form's — what a real
// portal's details page does in its own markup (web/README.md, "Details mode").
const token = new URLSearchParams(location.search).get('details');
if (token) document.querySelector('rsos-request-form')?.setAttribute('details-token', token);
await import(token ? './rsos-form-details.js' : './rsos-form.js');
