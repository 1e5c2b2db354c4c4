"""The console's web pages: server-rendered HTML (Jinja2) over the same Desk, accounts and
access rules as the JSON API, with a cookie session, CSRF tokens on every form and a
Content-Security-Policy that allows no inline script."""
