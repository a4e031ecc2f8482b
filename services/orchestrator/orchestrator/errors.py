from kit.errors import Conflict, DomainError, NotFound, ServiceUnavailable


class ChainNotFound(NotFound):
    code = "chain_not_found"
    title = "No chain with this id"


class VersionNotFound(NotFound):
    code = "chain_version_not_found"
    title = "This chain has no such version"


class TemplateNotFound(NotFound):
    code = "template_not_found"
    title = "No built-in chain with this id"


class ChainExists(Conflict):
    code = "chain_exists"
    title = "A chain with this id exists"


class ChainArchived(Conflict):
    code = "chain_archived"
    title = "The chain is archived: it can no longer change"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The chain cannot move to this status from its current one"


class NotPublished(Conflict):
    code = "chain_not_published"
    title = "The chain has no published version"


class ChainInvalid(DomainError):
    code = "chain_invalid"
    status = 422
    title = "The chain definition is invalid"


class IdMismatch(DomainError):
    code = "id_mismatch"
    status = 422
    title = "The definition's id differs from the chain in the path"


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    title = "This customer is not enrolled in this chain"


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = "No campaign with this id"


class CampaignStateConflict(Conflict):
    code = "campaign_state_conflict"
    title = "The campaign cannot do this in its current state"


class EnrollmentRefused(Conflict):
    code = "enrollment_refused"
    title = "The customer is enrolled already, or the re-entry policy says not yet"


class ChainNotActive(Conflict):
    code = "chain_not_active"
    title = "The chain is not active: publish or resume it first"


class UnknownSegment(DomainError):
    code = "unknown_segment"
    status = 422
    title = "Segments has no segment with this id"


class SegmentsUnavailable(ServiceUnavailable):
    code = "segments_unavailable"
    title = "Segments did not answer: the chain's audience segment could not be ensured"


class LoyaltyUnavailable(ServiceUnavailable):
    code = "loyalty_unavailable"
    title = "Loyalty did not answer: redeemed points cannot be valued without its programme"


class PreviousRunClosing(ServiceUnavailable):
    code = "previous_run_closing"
    title = "The customer's last enrollment in this chain is still closing: try again shortly"


class TemplatesMissing(DomainError):
    code = "template_missing"
    status = 422
    title = "A send step names a template the notifier does not have on one of its channels"


class NotifierUnavailable(ServiceUnavailable):
    code = "notifier_unavailable"
    title = "The notifier did not answer: the chain's templates could not be checked"
