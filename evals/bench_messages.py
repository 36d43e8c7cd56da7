"""The benchmark's message mix: realistic customer messages, written out by hand.

About 60% questions spread over the five companies, 25% formal requests (these open desk
tickets) and 15% out-of-scope messages. Every message carries the company a widget would
send with it. `MessageStream` hands the mix out in passes; each pass wraps every message in
a different greeting so that no text is sent twice to one assistant (the retriever's
query cache must not flatter the numbers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

COMPANIES = ("highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno")


@dataclass(frozen=True)
class Message:
    """One customer message with the company the widget sends and its kind."""

    text: str
    company: str
    kind: str  # "question" | "request" | "out_of_scope"


_QUESTIONS: tuple[tuple[str, str], ...] = (
    # Highreso
    ("highreso", "How much does Highreso charge for disclosing the purpose of use of my data?"),
    ("highreso", "Does Highreso collect cookies, IP addresses or advertising identifiers when I visit the website?"),
    ("highreso", "What safety management measures does Highreso take to prevent leaks of personal information?"),
    ("highreso", "Who pays the bank transfer fee when I pay Highreso's disclosure fee?"),
    ("highreso", "Can Highreso use my personal information beyond the stated purposes without asking me?"),
    ("highreso", "Does Highreso need proof of identity before it corrects my data?"),
    ("highreso", "Is there a special form I have to use for requests to Highreso?"),
    ("highreso", "Will Highreso acquire sensitive personal information without my consent?"),
    ("highreso", "Which certified personal information protection organization is Highreso a member of?"),
    ("highreso", "Where is Highreso's personal information consultation desk located?"),
    # SB C&S
    ("sb-cs", "For what purposes does SB C&S use the personal information of its customers?"),
    ("sb-cs", "Does SB C&S share personal data jointly with other group companies, and with whom?"),
    ("sb-cs", "Under what circumstances will SB C&S provide my data to a third party?"),
    ("sb-cs", "What security control measures has SB C&S put in place for personal data?"),
    ("sb-cs", "How do I ask SB C&S to notify me of the purpose of use of my personal data?"),
    ("sb-cs", "Is there a fee for a disclosure request at SB C&S?"),
    ("sb-cs", "Can SB C&S stop using my personal data if I ask?"),
    ("sb-cs", "Who is responsible for managing the jointly used data at SB C&S?"),
    ("sb-cs", "Does SB C&S transfer personal data to foreign countries?"),
    ("sb-cs", "How can I contact SB C&S about personal information inquiries?"),
    # UPWARD
    ("upward", "What does UPWARD charge for a request to disclose my personal information?"),
    ("upward", "Can I send a disclosure request to UPWARD by phone?"),
    ("upward", "What documents must I enclose to prove my identity to UPWARD?"),
    ("upward", "In which cases can UPWARD refuse to disclose personal information?"),
    ("upward", "What are the main purposes for which UPWARD uses the data it obtains?"),
    ("upward", "How does UPWARD manage and protect the personal information it holds?"),
    ("upward", "Is providing my personal information to UPWARD voluntary?"),
    ("upward", "Where do I post my request to UPWARD's personal information protection manager?"),
    ("upward", "When does UPWARD provide personal information to third parties?"),
    ("upward", "How will UPWARD tell me when it revises its privacy policy?"),
    # GMO AI & Robotics
    ("gmo-ai-robotics", "What does GMO AI & Robotics use personal information for?"),
    ("gmo-ai-robotics", "Does GMO AI & Robotics share personal information with third parties or use it jointly?"),
    ("gmo-ai-robotics", "How does GMO AI & Robotics handle anonymized information?"),
    ("gmo-ai-robotics", "What is pseudonymized information at GMO AI & Robotics and how is it used?"),
    ("gmo-ai-robotics", "How can I ask GMO AI & Robotics to disclose my personal information?"),
    ("gmo-ai-robotics", "How does GMO AI & Robotics acquire personal information?"),
    ("gmo-ai-robotics", "What is personal-related information according to GMO AI & Robotics?"),
    ("gmo-ai-robotics", "Can I email GMO AI & Robotics' complaint desk or do I need the web form?"),
    ("gmo-ai-robotics", "Does GMO AI & Robotics charge anything for disclosure of my data?"),
    # Win Techno
    ("win-techno", "What kinds of personal information does Win Techno collect?"),
    ("win-techno", "For which purposes does Win Techno use personal information?"),
    ("win-techno", "Does Win Techno outsource the handling of personal information to contractors?"),
    ("win-techno", "What is the e-mail address of Win Techno's personal information contact?"),
    ("win-techno", "When was Win Techno's privacy policy last amended?"),
    ("win-techno", "Will Win Techno give my data to third parties without consent?"),
    ("win-techno", "How do I request correction or deletion of my data at Win Techno?"),
    ("win-techno", "Does Win Techno use cookies or access logs on its website?"),
    ("win-techno", "How does Win Techno keep personal information secure?"),
)

_REQUESTS: tuple[tuple[str, str], ...] = (
    ("highreso", "Please disclose all the personal information Highreso holds about me."),
    ("highreso", "I want Highreso to delete my account data and stop using my e-mail address."),
    ("highreso", "I am writing on behalf of my elderly father: please correct his address in your records."),
    ("highreso", "Stop providing my personal data to third parties immediately."),
    ("sb-cs", "I request that SB C&S disclose the records of provision of my data to third parties."),
    ("sb-cs", "Please suspend the use of my personal data for marketing at SB C&S."),
    ("sb-cs", "Kindly erase everything SB C&S has on me; I no longer use your products."),
    ("sb-cs", "Please tell me the purpose of use of my personal information, formally."),
    ("upward", "I formally request disclosure of my personal information held by UPWARD."),
    ("upward", "My phone number in your records is wrong, please correct it to the new one."),
    ("upward", "As the legal guardian of my son, I ask UPWARD to delete his personal data."),
    ("upward", "Please stop sending me newsletters and remove my details from your lists."),
    ("gmo-ai-robotics", "I would like GMO AI & Robotics to send me a copy of all my personal data."),
    ("gmo-ai-robotics", "Please delete my personal information from GMO AI & Robotics' systems."),
    ("gmo-ai-robotics", "I want to file a complaint about how my information was handled by GMO AI & Robotics."),
    ("gmo-ai-robotics", "Please cease third-party provision of my data at once."),
    ("win-techno", "Please disclose what personal data Win Techno keeps about me."),
    ("win-techno", "I demand that Win Techno erase my data and confirm when it is done."),
    ("win-techno", "Acting as my wife's representative, I request correction of her registered name."),
    ("win-techno", "Please stop using my personal information for any purpose from now on."),
)

_OUT_OF_SCOPE: tuple[tuple[str, str], ...] = (
    ("highreso", "What GPU servers does Highreso rent out and how much do they cost per hour?"),
    ("sb-cs", "Can you recommend a good laptop for video editing?"),
    ("upward", "What's the weather going to be like in Tokyo tomorrow?"),
    ("gmo-ai-robotics", "Write me a short poem about robots."),
    ("win-techno", "Are you hiring software engineers at the moment?"),
    ("highreso", "How do I reset my router at home?"),
    ("sb-cs", "What is the stock price of SoftBank today?"),
    ("upward", "Can you translate 'good morning' into French?"),
    ("gmo-ai-robotics", "Who won the football match last night?"),
    ("win-techno", "What is the capital of Australia?"),
    ("highreso", "Give me a recipe for chicken curry."),
    ("upward", "How many employees does UPWARD have and what is its revenue?"),
)


# The Japanese mix: the same companies and kinds in the same shares, written in Japanese (not
# translations of the lines above, nor of any suite's items).
_JA_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("highreso", "ハイレゾは個人情報をどのような目的で利用していますか？"),
    ("highreso", "開示の請求をするときの手数料はいくらですか"),
    ("highreso", "ウェブサイトでクッキーは使われていますか？"),
    ("highreso", "個人情報の相談窓口はどこにありますか。"),
    ("highreso", "本人確認の書類は何が必要ですか？"),
    ("sb-cs", "共同利用している会社はどこですか？"),
    ("sb-cs", "個人データを外国に移転することはありますか"),
    ("sb-cs", "安全管理のためにどんな措置をとっていますか？"),
    ("sb-cs", "第三者に提供されるのはどんな場合ですか。"),
    ("sb-cs", "利用目的の通知を求めるにはどうすればいいですか？"),
    ("upward", "開示請求は電話でもできますか？"),
    ("upward", "個人情報の提供は任意ですか？"),
    ("upward", "請求書はどこに郵送すればよいですか"),
    ("upward", "プライバシーポリシーが変わったらどうやって知らせてくれますか？"),
    ("upward", "開示できない場合はどんなときですか？"),
    ("gmo-ai-robotics", "匿名加工情報はどのように扱われますか？"),
    ("gmo-ai-robotics", "仮名加工情報とは何ですか"),
    ("gmo-ai-robotics", "個人情報はどうやって取得していますか？"),
    ("gmo-ai-robotics", "苦情の窓口にメールで連絡できますか？"),
    ("gmo-ai-robotics", "個人関連情報とは何を指しますか。"),
    ("win-techno", "どのような個人情報を収集していますか？"),
    ("win-techno", "個人情報の取扱いを外部に委託していますか"),
    ("win-techno", "問い合わせ先のメールアドレスを教えてください。"),
    ("win-techno", "アクセスログは取っていますか？"),
    ("win-techno", "個人情報はどうやって安全に管理されていますか？"),
)
_JA_REQUESTS: tuple[tuple[str, str], ...] = (
    ("highreso", "私の個人情報をすべて開示してください。"),
    ("sb-cs", "登録されている私のデータを削除してください"),
    ("upward", "父に代わって、父の住所の訂正をお願いします。"),
    ("gmo-ai-robotics", "私の個人データの第三者提供を停止してください。"),
    ("win-techno", "今後一切、私の個人情報を利用しないでください。"),
    ("highreso", "個人情報の取扱いについて苦情を申し立てます。"),
)
_JA_OUT_OF_SCOPE: tuple[tuple[str, str], ...] = (
    ("highreso", "明日の東京の天気はどうですか？"),
    ("sb-cs", "動画編集におすすめのノートパソコンを教えて"),
    ("upward", "カレーの作り方を教えてください"),
    ("gmo-ai-robotics", "ロボットについての短い詩を書いて"),
)


def _interleave(
    questions: Sequence[tuple[str, str]] = _QUESTIONS,
    requests: Sequence[tuple[str, str]] = _REQUESTS,
    out_of_scope: Sequence[tuple[str, str]] = _OUT_OF_SCOPE,
) -> tuple[Message, ...]:
    """The three kinds spread evenly through the list, so any prefix is a fair mix too."""
    kinds = (
        [Message(t, c, "question") for c, t in questions],
        [Message(t, c, "request") for c, t in requests],
        [Message(t, c, "out_of_scope") for c, t in out_of_scope],
    )
    total = sum(len(k) for k in kinds)
    out: list[Message] = []
    taken = [0, 0, 0]
    for i in range(total):
        # Pick the kind furthest behind its share at position i.
        best = max(range(3), key=lambda j: (len(kinds[j]) * (i + 1) / total - taken[j]) if taken[j] < len(kinds[j]) else -1e9)
        out.append(kinds[best][taken[best]])
        taken[best] += 1
    return tuple(out)


MIX: tuple[Message, ...] = _interleave()
JA_MIX: tuple[Message, ...] = _interleave(_JA_QUESTIONS, _JA_REQUESTS, _JA_OUT_OF_SCOPE)

# Greetings only, as in every earlier run, so runs stay comparable. (Sign-offs such as
# "Thanks." once tipped questions into formal requests and would have skewed the mix towards
# the slower desk path; since assistant/understand/pleasantries.py they no longer do.) The assistant
# reads all of these wordings as the same question, so `make bench` turns the query cache off
# (PA_QUERY_CACHE_SIZE=0): every message is embedded, as a never-seen question would be.
_PREFIXES = (
    "",
    "Hi. ",
    "Hello! ",
    "Hi there. ",
    "Quick question: ",
    "Good morning. ",
    "Good evening. ",
    "Hello again. ",
    "Question: ",
    "Hello team. ",
    "Hi all. ",
    "Greetings. ",
)


_JA_PREFIXES = (
    "",
    "こんにちは。",
    "すみません、",
    "質問です。",
    "お世話になっております。",
    "はじめまして。",
    "こんばんは。",
    "失礼します。",
    "教えてください。",
    "お疲れ様です。",
    "おはようございます。",
    "少しお伺いします。",
)


def variant(text: str, k: int) -> str:
    """The k-th wording of `text` (k=0 is the text itself); distinct for every k."""
    japanese = any("\u3040" <= ch <= "\u30ff" for ch in text)
    prefixes = _JA_PREFIXES if japanese else _PREFIXES
    n = len(prefixes)
    extra = (f"（参照 {k // n}）" if japanese else f" (ref {k // n})") if k >= n else ""
    return f"{prefixes[k % n]}{text}{extra}"


class MessageStream:
    """Hands out the mix in passes, never the same text twice (per stream)."""

    def __init__(self, mix: Sequence[Message] = MIX, start_pass: int = 0) -> None:
        self._mix = tuple(mix)
        self._pass = start_pass
        self._pos = 0

    def take(self, n: int) -> list[Message]:
        """The next `n` messages."""
        return [next(self) for _ in range(n)]

    def __iter__(self) -> Iterator[Message]:
        return self

    def __next__(self) -> Message:
        m = self._mix[self._pos]
        out = Message(variant(m.text, self._pass), m.company, m.kind)
        self._pos += 1
        if self._pos == len(self._mix):
            self._pos = 0
            self._pass += 1
        return out
