// pa11y drives Debian's Chromium (/usr/bin/chromium, passed by tools/audit.py):
// puppeteer must not download a browser of its own during `npm ci`.
module.exports = { skipDownload: true };
