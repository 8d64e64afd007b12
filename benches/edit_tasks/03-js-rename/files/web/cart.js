// Shopping cart helpers.

function calcTotal(items) {
  let sum = 0;
  for (const item of items) {
    sum += item.price * item.qty;
  }
  return sum;
}

function describeCart(items) {
  const total = calcTotal(items);
  return `${items.length} items, total ${total.toFixed(2)}`;
}

module.exports = { calcTotal, describeCart };
