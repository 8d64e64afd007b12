function format(value) {
  return String(value).trim().toLowerCase();
}

module.exports = { format };
