"""What a customer's question is about, as a short noun phrase for the lead line.

The vocabulary is that of privacy questions in general (APPI and GDPR-style rights, cookies,
transfers, retention...), keyed on the question's words, not on any policy's wording. What the
question asks comes first: "how much" is about fees, "who is responsible" about the person
responsible, "how long do you keep" about retention, "why" about purposes, whatever other word
the question also contains. When nothing fits, or the question only asks what something is,
the answer is None: no topic is better than a wrong one.
"""

from __future__ import annotations

import re

FEES = "fees"
IDENTITY = "identity documents"
PROXY = "requests made by a proxy"
HOW_TO_REQUEST = "how to make a request"
CONTACT = "whom to contact"
RESPONSIBLE = "the person responsible"
COOKIES = "cookies"
ABROAD = "transfers of data abroad"
OUTSOURCING = "outsourcing"
SHARED_USE = "shared use"
THIRD_PARTIES = "provision to third parties"
SECURITY = "security measures"
DELETION = "deletion"
CORRECTION = "correction"
STOPPING = "stopping the use of data"
DISCLOSURE = "disclosure"
PURPOSES = "the purposes of use"
COLLECTED = "the information collected"
RETENTION = "how long data is kept"
REVISIONS = "changes to the policy"
CHILDREN = "children's data"
RESPONSE_TIME = "response times"
COMPLAINTS = "complaints"
MARKETING = "marketing emails"
ADVERTISING = "advertising"
ANONYMISED = "anonymised information"
PSEUDONYMISED = "pseudonymised information"
LOCATION = "location data"
PAYMENT = "payment information"
RIGHTS = "your rights"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_DATA = r"(?:data|information|info|details|records?)"
# "Who ..." and "what is the name of ..." ask for a person or a place to write to.
_WHO = _rx(r"^\s*(?:who|whom)\b|\bname of\b|\bwho(?:'s| is)\b")
_RESPONSIBLE = _rx(r"\b(?:responsible|in charge|manager|officer|supervisor|head of|runs?|manages?|oversees?|accountable)\b")
_CONTACT = _rx(r"\b(?:contact|write to|talk to|speak (?:to|with)|ask|reach|email|e-mail|send (?:it|my \w+) to)\b")
_DEFINITION = _rx(
    r"^\s*what(?:'s| is| are)\s+(?:a|an)\b|\bwhat does .* mean\b|^\s*what is (?:the )?[\w ]+ feature\b"
    r"|\bwhat counts as\b|\bwhat is meant by\b|\bwhat do you mean by\b"
)
# A proxy server or a VPN's proxy is a network's, not a person acting for the customer.
_NETWORK = _rx(r"\b(?:vpn|browser|server|servers|traffic|network|connection|ip address|websites?|sites)\b")

# (topic, pattern): the first that matches wins; the order puts what a question asks before
# the nouns it happens to contain.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        PROXY,
        _rx(
            r"\b(?:proxy|proxies|on (?:my|his|her|their|someone's) behalf"
            # Not a GDPR representative in the EU (Art. 27): that is a contact, not someone acting for me.
            r"|representative(?! director)(?!s? (?:in|for) (?:the )?(?:eu|eea|uk|european|union)\b)"
            r"|power of attorney|attorney|lawyer|agent|guardian|for my (?:kid|child|son|daughter|mother|father))\b"
        ),
    ),
    (
        IDENTITY,
        _rx(
            r"\b(?:check|verify|confirm)\w* (?:that )?(?:it's|it is|who) (?:really )?(?:me|i am)\b|\bverify (?:my identity|me)\b|"
            r"\b(?:identity|identification|id|passport|driv(?:er's|ing) licen[cs]e|licen[cs]e|proof of who"
            r"|insurance card|prove (?:my identity|who i am))\b"
        ),
    ),
    (
        FEES,
        _rx(
            r"\b(?:how much|fees?|cost|costs|charge|charges|charged|price|pay|paying|pays|free of charge|for free"
            r"|is it free|without paying|handling fee)\b"
        ),
    ),
    (PURPOSES, _rx(r"\bwhat (?:do you do|happens|will you do) (?:with|to)\b")),
    (
        RIGHTS,
        _rx(
            r"\bwhat requests can i make\b|\bwhat rights\b|\brights do i have\b|\bmy (?:privacy |data )?rights\b"
            r"|\bwhat can i ask (?:you|\w+) to do\b"
        ),
    ),
    (COMPLAINTS, _rx(r"\bcomplain\w*\b|\bgrievance")),
    (
        RESPONSE_TIME,
        _rx(
            r"\bhow (?:long|quickly|fast|soon)\b.*\b(?:answer|respond|reply|hear|process|handle|act on"
            r"|deal with)\w*"
            r"|\bwhen will i (?:hear|get (?:a|an) (?:answer|reply|response))\b"
            r"|\bhow (?:long|many days) (?:will|does) it take\b"
        ),
    ),
    (
        RETENTION,
        _rx(
            r"\bhow long\b|\bretention\b|\bretain\w*\b|\bhow many (?:days|weeks|months|years)\b"
            r"|\bfor how many\b|\bkept for\b|\bstored for\b|\bafter (?:some|a) (?:time|while|period)\b|\binactiv\w*"
            r"|\bwhen (?:is|are|will) (?:my|your|the)? ?[\w ]{0,20}\b(?:deleted|erased|removed)\b.*\bafter\b"
        ),
    ),
    (
        REVISIONS,
        _rx(
            r"\b(?:policy|notice|terms)\b.*\b(?:chang\w*|updat\w*|revis\w*|amend\w*|version)\b"
            r"|\b(?:chang\w*|updat\w*|revis\w*|amend\w*)\b.*\b(?:policy|notice)\b"
            r"|\blast (?:updated|revised|changed)\b|\btakes? effect\b|\beffective date\b"
            r"|\bcurrent version\b"
        ),
    ),
    (
        SHARED_USE,
        _rx(
            r"\bshared use\b|\bjoint(?:ly)? us\w*\b|\bjointly\b|\bgroup compan\w*\b|\bparent company\b"
            r"|\baffiliates?\b|\bwithin (?:the|your|its) group\b"
        ),
    ),
    (ANONYMISED, _rx(r"\banonymi[sz]\w*\b|\banonymous\b")),
    (PSEUDONYMISED, _rx(r"\bpseudonymi[sz]\w*\b|\bpseudonymous\b")),
    (COOKIES, _rx(r"\bcookies?\b|\bpixels?\b|\bweb beacons?\b|\bclear gifs?\b")),
    (
        PURPOSES,
        _rx(
            r"(?:^|[.?!]\s+)why\b|\bwhat\b[^?.!]{0,60}\bfor\?|\bused for\b|\bpurposes?\b|\bfor what reason\b"
            r"|\bwhat reason\b"
        ),
    ),
    (
        MARKETING,
        _rx(
            r"\bnewsletters?\b|\bunsubscrib\w*\b|\bmarketing (?:e-?mails?|messages|communications)\b"
            r"|\bpromotional\b"
        ),
    ),
    (
        ABROAD,
        _rx(
            r"\babroad\b|\boverseas\b|\bother countr\w*|\b(?:another|a different|a foreign) country\b|\binternational\b|\bforeign\b"
            r"|\boutside (?:of )?(?:japan|the eu|the eea|the us|the uk|my country)\b"
            r"|\bleaves? (?:the )?(?:eu|eea|uk|us|japan|country)\b|\bservers? (?:are )?located\b"
            r"|\bwhere (?:are|is) (?:your|the|my) (?:servers?|data (?:stored|kept|held))\b"
            r"|\bstandard contractual\b|\bcross-border\b"
        ),
    ),
    (
        OUTSOURCING,
        _rx(
            r"\boutsourc\w*|\bcontractors?\b|\bsubcontract\w*|\bvendors?\b|\bentrust\w*"
            r"|\bprocessors? on your behalf\b"
        ),
    ),
    (CHILDREN, _rx(r"\bchild(?:ren)?(?:'s)?\b|\bkids?\b|\bminors?(?:')?\b|\bteen\w*\b|\bunder 1[3-8]\b")),
    (LOCATION, _rx(r"\blocation\b|\bgps\b")),
    (PAYMENT, _rx(r"\bpayments?\b|\bcredit cards?\b|\bcard (?:number|details)\b|\bbilling\b")),
    (
        HOW_TO_REQUEST,
        _rx(
            r"\bprocedure\b|\bsteps?\b|\bforms?\b|\bapplication\b|\bsubmit\w*\b|\bportal\b|\benvelope\b"
            r"|\bwhere do i send\b"
            r"|\b(?:request|application|apply)\w*\b.*\b(?:by|over the) (?:phone|telephone|post|mail|e-?mail)\b"
            r"|\bmake a request\b|\bfile (?:a|the|my) request\b|\bsend (?:my|the|a) request\b"
        ),
    ),
    (
        DISCLOSURE,
        _rx(
            r"\b(?:i|me) (?:\w+ ){0,2}(?:see|view|access|obtain|get) (?:a copy of |all )?(?:what|my|the)\b.*\b"
            + _DATA
            + r"|\bcopy of (?:my|the|all)\b|\bdisclos\w* (?:my |the )?(?:retained )?(?:personal )?"
            + _DATA
            + r" to me\b|\brecords of provision\b|\bwhat "
            + _DATA
            + r" (?:do )?you (?:have|hold)\b"
        ),
    ),
    (DELETION, _rx(r"\bdelet\w*\b|\beras\w*\b|\bremov\w*\b|\bwipe\b|\bforget me\b")),
    (
        CORRECTION,
        _rx(
            r"\bcorrect\w*\b|\bfix\b|\bupdate (?:my|inaccurate|incorrect)\b|\bamend my\b|\bwrong\b"
            r"|\binaccurate\b|\bincorrect\b|\brectif\w*\b"
        ),
    ),
    (
        STOPPING,
        _rx(
            r"\bstop (?:using|processing|the use)\b|\bobject\b|\bsuspen\w*\b|\bceas\w*\b|\brestrict\w*\b"
            r"|\bopt out of (?:processing|the use)\b"
        ),
    ),
    (
        SECURITY,
        _rx(
            r"\bsecur\w*\b|\bencrypt\w*\b|\bbreach\w*\b|\bleak\w*\b|\bhack\w*\b|\bunauthori[sz]ed\b"
            r"|\bprotections\b|\bprecautions\b|\b(?:employees|staff)\b.*\btrain\w*"
            r"|\bprotect(?:ed|s|ing)?\b|\bsafe(?:ly|guards?)?\b|\bfirewalls?\b"
            r"|\btrain\w* (?:employees|staff)\b"
        ),
    ),
    (
        COLLECTED,
        _rx(
            r"\b(?:get|receive|obtain)\w* (?:my |your )?(?:personal )?" + _DATA + r" from (?:someone|some|another|other|a third)\b|"
            r"\bcollect\w*\b|\bgather\w*\b|\bobtain\w*\b|\bwhat (?:kind of |types? of )?(?:personal )?"
            + _DATA
            + r" (?:do|does)\b.*\b(?:send|receive|have|get)\b|\bhave to (?:give|provide)\b"
        ),
    ),
    (
        THIRD_PARTIES,
        _rx(
            r"\bthird[- ]part\w*\b|\bsell\w*\b|\bsold\b|\bbuy\b"
            r"|\bwhich (?:companies|organi[sz]ations|firms|parties)\b.*\b(?:share|give|disclose|pass|send|provide)\w*"
            r"|\b(?:share|shares|give|provide|disclose|hand|pass|transfer)\w*\b.*\b(?:partners?|advertis\w*"
            r"|ad networks?|ad platforms?|analytics tools?"
            r"|police|government|authorit\w*|other compan\w*|others|anyone|outsiders?)\b"
            r"|\bwho (?:do|does|will) (?:you|they|\w+) (?:share|give|sell|disclose)\b"
            r"|\b(?:partners?|advertisers?) (?:get|receive|see)\b"
        ),
    ),
    (ADVERTISING, _rx(r"\bads?\b|\badvertis\w*\b|\bsponsored\b")),
    (HOW_TO_REQUEST, _rx(r"\bhow (?:do|can|should) i\b.*\b(?:request|exercise|apply|ask you)\b")),
    (
        CONTACT,
        _rx(
            r"\bcontact\b|\breach\b|\bget in touch\b|\be-?mail address\b|\bphone number\b"
            r"|\b(?:your|postal|mailing|office|street|headquarters|company's) address\b"
            r"|\boffice\b|\bwrite to\b|\bdata protection officer\b|\bdpo\b|\bprivacy (?:desk|team)\b"
        ),
    ),
)


def describe_topic(query: str) -> str | None:
    """A short noun phrase for what the question asks about, or None when unsure."""
    q = query.replace("\u2019", "'").strip()
    if not q:
        return None
    if _WHO.search(q):
        # A question about who is responsible is about that person, whatever else it names.
        if _RESPONSIBLE.search(q):
            return RESPONSIBLE
        if _CONTACT.search(q):
            return CONTACT
    if _DEFINITION.search(q) and not re.search(r"anonymi|pseudonymi|cookie", q, re.IGNORECASE):
        return None
    for topic, pattern in _RULES:
        if pattern.search(q):
            if topic == PROXY and _NETWORK.search(q) and not re.search(r"\bbehalf\b|\battorney\b|\bguardian\b", q, re.IGNORECASE):
                continue
            return topic
    return None
