from kit.errors import Conflict, NotFound


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "No member with this id"


class MemberExists(Conflict):
    code = "member_exists"
    title = "A member with this phone or email already exists"
