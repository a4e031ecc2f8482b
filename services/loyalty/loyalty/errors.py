from kit.errors import Conflict, DomainError, NotFound
from kit.errors import IdempotencyKeyReused as IdempotencyKeyReused  # defined once, for all


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "No member with this id"


class MemberCityUnknown(Conflict):
    code = "member_city_unknown"
    title = "The grant is for the member's own city, and the member has no city on file"


class MemberExists(Conflict):
    code = "member_exists"
    title = "A member with this phone or email already exists"


class PurchaseNotFound(NotFound):
    code = "purchase_not_found"
    title = "No purchase with this txid"


class TxidAmbiguous(Conflict):
    code = "txid_ambiguous"
    title = "More than one store has a purchase with this txid: name the store (store_id)"


class TxidReused(Conflict):
    code = "txid_reused"
    title = "This txid was used with a different request for the same step"


class QuoteChanged(Conflict):
    code = "quote_changed"
    title = "The receipt no longer matches the quote; calculate again"


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    title = "The customer cannot spend that many points on this receipt"


class ReservationLapsed(Conflict):
    code = "reservation_lapsed"
    title = "The reservation lapsed and its points were released; reserve again"


class PurchaseCancelled(Conflict):
    code = "purchase_cancelled"
    title = "The purchase was cancelled"


class PurchaseAlreadyConfirmed(Conflict):
    code = "purchase_confirmed"
    title = "The purchase is already confirmed; use a return instead"


class PurchaseNotConfirmed(Conflict):
    code = "purchase_not_confirmed"
    title = "Only a confirmed purchase can be returned"


class ReturnExceedsPurchase(DomainError):
    code = "return_exceeds_purchase"
    status = 422
    title = "More would be returned than was bought"


class LedgerBusy(Conflict):
    code = "ledger_busy"
    title = "The points changed while reserving; retry"
