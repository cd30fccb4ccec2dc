"""The canonical data model: table names, column names, required columns and their types."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CUSTOMER_ID", "ORDER_ID", "TS", "AMOUNT", "STORE_ID", "CHANNEL", "PRODUCT_ID",
    "CATEGORY", "QUANTITY", "DISCOUNT", "COUPON_DISCOUNT", "STRATEGY_ID", "NAME", "TYPE",
    "START", "END", "COST_PER_CONTACT", "VALUE",
    "TableSpec", "TABLES", "TABLE_ORDER", "DataError",
]

# transactions
CUSTOMER_ID = "customer_id"
ORDER_ID = "order_id"
TS = "ts"
AMOUNT = "amount"
STORE_ID = "store_id"
CHANNEL = "channel"
PRODUCT_ID = "product_id"
CATEGORY = "category"
QUANTITY = "quantity"
DISCOUNT = "discount"
COUPON_DISCOUNT = "coupon_discount"
# strategies / exposures / responses
STRATEGY_ID = "strategy_id"
NAME = "name"
TYPE = "type"
START = "start"
END = "end"
COST_PER_CONTACT = "cost_per_contact"
VALUE = "value"


class DataError(ValueError):
    """A table cannot be used at all: missing column, unreadable file, empty after cleaning."""


@dataclass(frozen=True)
class TableSpec:
    """What one canonical table must and may hold.

    ``kinds`` maps a column to how it is parsed: ``id`` (text key), ``time`` (timestamp in
    ``data_tz``), ``date`` (calendar day), ``money`` (float, currency symbols and thousands
    separators allowed), ``number`` (float) or ``text``.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    kinds: dict[str, str]
    key: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


TABLES: dict[str, TableSpec] = {
    "transactions": TableSpec(
        name="transactions",
        required=(CUSTOMER_ID, ORDER_ID, TS, AMOUNT),
        optional=(STORE_ID, CHANNEL, PRODUCT_ID, CATEGORY, QUANTITY, DISCOUNT, COUPON_DISCOUNT),
        kinds={CUSTOMER_ID: "id", ORDER_ID: "id", TS: "time", AMOUNT: "money",
               STORE_ID: "id", CHANNEL: "text", PRODUCT_ID: "id", CATEGORY: "text",
               QUANTITY: "number", DISCOUNT: "money", COUPON_DISCOUNT: "money"},
    ),
    "customers": TableSpec(
        name="customers", required=(CUSTOMER_ID,), optional=(), kinds={CUSTOMER_ID: "id"},
        key=(CUSTOMER_ID,),
    ),
    "strategies": TableSpec(
        name="strategies",
        required=(STRATEGY_ID, START, END),
        optional=(NAME, TYPE, COST_PER_CONTACT),
        kinds={STRATEGY_ID: "id", START: "date", END: "date", NAME: "text", TYPE: "text",
               COST_PER_CONTACT: "money"},
        key=(STRATEGY_ID,),
    ),
    "exposures": TableSpec(
        name="exposures",
        required=(CUSTOMER_ID, STRATEGY_ID),
        optional=(TS,),
        kinds={CUSTOMER_ID: "id", STRATEGY_ID: "id", TS: "time"},
        key=(CUSTOMER_ID, STRATEGY_ID),
    ),
    "responses": TableSpec(
        name="responses",
        required=(CUSTOMER_ID, STRATEGY_ID, TS),
        optional=(VALUE,),
        kinds={CUSTOMER_ID: "id", STRATEGY_ID: "id", TS: "time", VALUE: "money"},
    ),
    "offers": TableSpec(
        name="offers",
        required=(STRATEGY_ID,),
        optional=(PRODUCT_ID, CATEGORY),
        kinds={STRATEGY_ID: "id", PRODUCT_ID: "id", CATEGORY: "text"},
    ),
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
