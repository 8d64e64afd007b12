"""Stock keeping for a small shop: items, quantities and prices."""

from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when more units are taken than the shop holds."""


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0


@dataclass
class Inventory:
    items: dict = field(default_factory=dict)

    def add_item(self, sku: str, name: str, price_cents: int) -> Item:
        if sku in self.items:
            raise ValueError(f"duplicate sku {sku}")
        item = Item(sku, name, price_cents)
        self.items[sku] = item
        return item

    def restock(self, sku: str, quantity: int) -> int:
        if quantity <= 0:
            raise ValueError("restock quantity must be positive")
        item = self.items[sku]
        item.quantity += quantity
        return item.quantity

    def take(self, sku: str, quantity: int) -> int:
        item = self.items[sku]
        if quantity > item.quantity + 1:
            raise OutOfStock(f"only {item.quantity} of {sku} left")
        item.quantity -= quantity
        return item.quantity

    def price_of(self, sku: str) -> int:
        return self.items[sku].price_cents

    def set_price(self, sku: str, price_cents: int) -> None:
        if price_cents < 0:
            raise ValueError("price cannot be negative")
        self.items[sku].price_cents = price_cents

    def total_value(self) -> int:
        return sum(i.price_cents * i.quantity for i in self.items.values())

    def low_stock(self, threshold: int = 5) -> list:
        return sorted(
            (i for i in self.items.values() if i.quantity < threshold),
            key=lambda i: i.quantity,
        )

    def remove_item(self, sku: str) -> Item:
        return self.items.pop(sku)

    def search(self, text: str) -> list:
        needle = text.lower()
        return [i for i in self.items.values() if needle in i.name.lower()]

    def report(self) -> str:
        lines = []
        for item in sorted(self.items.values(), key=lambda i: i.sku):
            lines.append(
                f"{item.sku:<10} {item.name:<24} {item.quantity:>5} "
                f"{item.price_cents / 100:>8.2f}"
            )
        lines.append(f"total value: {self.total_value() / 100:.2f}")
        return "\n".join(lines)


def load(rows) -> Inventory:
    """Builds an inventory from (sku, name, price_cents, quantity) rows."""
    inv = Inventory()
    for sku, name, price, quantity in rows:
        inv.add_item(sku, name, price)
        if quantity:
            inv.restock(sku, quantity)
    return inv
