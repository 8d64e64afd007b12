// Superseded by src/format.js; nothing imports this any more.
function legacyFormat(value) {
  return String(value).trim();
}

module.exports = { legacyFormat };
