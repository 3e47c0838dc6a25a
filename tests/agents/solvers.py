"""Scripted agents for MiniWoB++ tasks. Each reads what to do from the snapshot only (the
task's sentence is the first text on the page) and acts only through the agent's verbs
(MCP tools). The same solver runs on every server; a server whose snapshot lacks what the
solver needs fails the task (`Stuck`)."""

import asyncio
import re

from servers import ToolError


class Stuck(Exception):
    """The snapshot does not show what the task needs."""


def need(nodes, what):
    if not nodes:
        raise Stuck(what)
    return nodes[0]


def sentence(snap, pattern):
    text = snap.instruction()
    m = re.search(pattern, text)
    if not m:
        raise Stuck(f"instruction {pattern!r} not in {text!r}")
    return m


TEXTBOX = ("textbox", "searchbox", "date", "time", "datetime", "DateTime", "InputTime", "spinbutton")
CLICKABLE = ("link", "button", "generic", "text", "listitem", "cell", "tab", "menuitem", "option", "treeitem",
             "gridcell", "span", "paragraph", "StaticText")


def by_label(snap, label, roles=None, within=None):
    """Nodes reading exactly `label` that can be acted on (own ref, or a box's ref around a text run)."""
    return snap.find(label=label, roles=roles, within=within)


async def click_label(a, snap, label, roles=None):
    await a.click(snap, need(by_label(snap, label, roles), f"{label!r} with a ref"))


async def submit(a, label="Submit"):
    snap = await a.snapshot()
    buttons = [b for b in snap.buttons() if b.label().lower() == label.lower()]
    await a.click(snap, need(buttons, f"button {label!r}"))


# ---- clicks -------------------------------------------------------------------------------

async def click_button(a, snap):
    m = sentence(snap, r'Click on the "(.+)" button\.')
    await click_label(a, snap, m.group(1), ("button",))


async def click_button_sequence(a, snap):
    await click_label(a, snap, "ONE", ("button",))
    await click_label(a, snap, "TWO", ("button",))


async def click_test(a, snap):
    sentence(snap, r"Click the button\.")
    await a.click(snap, need(snap.buttons(), "a button"))


async def click_test_2(a, snap):
    m = sentence(snap, r"Click button (\w+)\.")
    await click_label(a, snap, m.group(1), ("button",))


async def click_link(a, snap):
    m = sentence(snap, r'click on the link "(.+)"\.|Click on the link "(.+)"\.')
    await click_label(a, snap, m.group(1) or m.group(2))


async def click_checkboxes(a, snap):
    m = sentence(snap, r"Select (.*) and click Submit\.")
    wanted = set() if m.group(1) == "nothing" else set(m.group(1).split(", "))
    for box in snap.find(roles=("checkbox",)):
        checked = box.attrs.get("checked") in (True, "true")
        if (box.label() in wanted) != checked:
            await a.click(snap, box)
    await submit(a)


async def click_option(a, snap):
    m = sentence(snap, r"Select (.+) and click Submit\.")
    await click_label(a, snap, m.group(1), ("radio",))
    await submit(a)


async def click_tab(a, snap):
    m = sentence(snap, r"Click on (Tab #\d)\.")
    await click_label(a, snap, m.group(1), ("tab", "link"))


async def click_in_panels(a, snap, word, headers_of):
    """Opens one section/tab after the other (headers_of(snapshot) lists their headers)
    until `word` has a ref, then clicks it."""
    count = len(headers_of(snap))
    for i in range(count + 1):
        found = by_label(snap, word)
        if found:
            await a.click(snap, found[0])
            return
        if i == count:
            break
        headers = headers_of(snap)
        if i >= len(headers):
            break
        await a.click(snap, headers[i])
        snap = await a.snapshot()
    raise Stuck(f"{word!r} in no section")


def tab_headers(snap):
    """The tabs of a tab list, each by its own ref or its link's."""
    out = []
    for tab in snap.find(roles=("tab",), with_ref=False):
        inner = [d for d in tab.descendants() if d.ref and d.label()]
        out.append(tab if tab.ref and tab.label() else inner[0] if inner else tab)
    return [t for t in out if snap.ref_of(t)]


async def click_tab_2(a, snap):
    m = sentence(snap, r'click on the link "(.+)"\.')
    await click_in_panels(a, snap, m.group(1), tab_headers)


async def click_collapsible(a, snap):
    sentence(snap, r"Expand the section below and click submit\.")
    header = need([n for n in snap.find() if re.match(r"Section #\d+", n.label())], "a section header")
    await a.click(snap, header)
    await submit(a)


async def click_collapsible_2(a, snap):
    m = sentence(snap, r'click on the link "(.+)"\.')
    await click_in_panels(a, snap, m.group(1),
                          lambda s: [n for n in s.find() if re.fullmatch(r"Section #\d+", n.label())])


def close_button(snap):
    return [b for b in snap.buttons() if b.label().lower() in ("close", "x", "×")]


async def click_dialog(a, snap):
    sentence(snap, r'Close the dialog box by clicking the "x"\.')
    await a.click(snap, need(close_button(snap), "the dialog's close button"))


async def click_dialog_2(a, snap):
    m = sentence(snap, r'labeled "(.+)"\.')
    if m.group(1) == "x":
        await a.click(snap, need(close_button(snap), "the dialog's close button"))
    else:
        await click_label(a, snap, m.group(1), ("button",))


async def click_widget(a, snap):
    m = sentence(snap, r'Click on a "(\w+)" widget\.')
    kind = m.group(1)
    if kind in ("button", "checkbox", "radio"):
        found = snap.find(roles=(kind,))
    else:
        boxes = snap.find(roles=TEXTBOX)
        multi = [b for b in boxes if b.attrs.get("multiline")]
        single = [b for b in boxes if not b.attrs.get("multiline")]
        found = (multi or boxes) if kind == "textarea" else (single or boxes)
    await a.click(snap, need(found, f"a {kind} widget"))


async def navigate_tree(a, snap):
    m = sentence(snap, r'named "(.+)"\.')
    name = m.group(1)
    opened = set()
    for _ in range(12):
        found = by_label(snap, name)
        if found:
            await a.click(snap, found[-1])
            return
        # A folder is a list item with an icon to open it (the tree's hit area) beside its name.
        closed = []
        for item in snap.find(roles=("listitem",), with_ref=False):
            icons = [c for c in item.children if c.ref and not c.all_text()]
            label = next((c.label() for c in item.children if c.label()), "")
            if icons and label not in opened and not any(c.role == "list" for c in item.children):
                closed.append((label, icons[0]))
        if not closed:
            raise Stuck(f"{name!r} in the tree")
        label, icon = closed[0]
        opened.add(label)
        await a.click(snap, icon)
        snap = await a.snapshot()
    raise Stuck(f"{name!r} in the tree")


def post_icons(snap, user):
    """The icon buttons of `user`'s post (reply, retweet, like, more)."""
    for n in snap.find(with_ref=False, pred=lambda n: user in n.label().split()):
        post = next((p for p in n.ancestors() if len(snap.icons(p)) >= 3), None)
        if post is not None:
            return snap.icons(post)
    # A flat outline: the icons after the user's line, up to the next post's line.
    line = next((n for n in snap.nodes if user in n.label().split()), None)
    if line is None:
        raise Stuck(f"the post of {user}")
    icons, all_icons = [], snap.icons()
    for n in snap.nodes[line.index + 1:]:
        if "@" in n.label():
            break
        if n in all_icons:
            icons.append(n)
    if len(icons) < 3:
        raise Stuck(f"the buttons of {user}'s post")
    return icons


async def social_media(a, snap):
    m = sentence(snap, r'For the user (@\S+), click on the "(.+)" button\.')
    user, action = m.group(1), m.group(2)
    order = ["Reply", "Retweet", "Like"]
    icons = post_icons(snap, user)
    if action in order:
        await a.click(snap, icons[order.index(action)])
        return
    for _ in range(2):  # the menu may not open on the first click: look, and click again
        await a.click(snap, icons[3] if len(icons) > 3 else icons[-1])
        snap = await a.snapshot()
        items = [n for n in snap.find() if n.label() in (action, f"{action} {user}")]
        if items:
            await a.click(snap, items[0])
            return
        icons = post_icons(snap, user)
    raise Stuck(f"menu item {action!r}")


# ---- fields -------------------------------------------------------------------------------

async def type_and_submit(a, snap, text, field=0, button="Submit"):
    fields = snap.fields()
    if len(fields) <= field:
        raise Stuck(f"text field {field}")
    await a.type(snap, fields[field], text)
    await submit(a, button)


async def enter_text(a, snap):
    m = sentence(snap, r'Enter "(.+)" into the text field and press Submit\.')
    await type_and_submit(a, snap, m.group(1))


async def enter_text_2(a, snap):
    m = sentence(snap, r'Type "(.+)" in all (upper|lower) case letters')
    text = m.group(1).upper() if m.group(2) == "upper" else m.group(1).lower()
    await type_and_submit(a, snap, text)


async def enter_password(a, snap):
    m = sentence(snap, r'Enter the password "(.+)" into both text fields')
    fields = snap.fields()
    if len(fields) < 2:
        raise Stuck("two password fields")
    for f in fields[:2]:
        await a.type(snap, f, m.group(1))
    await submit(a)


async def enter_date(a, snap):
    m = sentence(snap, r"Enter (\d\d)/(\d\d)/(\d{4}) as the date")
    await type_and_submit(a, snap, f"{m.group(3)}-{m.group(1)}-{m.group(2)}")


async def enter_time(a, snap):
    m = sentence(snap, r"Enter (\d+):(\d\d) ?(AM|PM) as the time")
    hour = int(m.group(1)) % 12 + (12 if m.group(3) == "PM" else 0)
    await type_and_submit(a, snap, f"{hour:02d}:{m.group(2)}")


async def focus_text(a, snap):
    sentence(snap, r"Focus into the textbox\.")
    await a.click(snap, need(snap.fields(), "the textbox"))


async def focus_text_2(a, snap):
    m = sentence(snap, r"Focus into the (\d)\w\w input textbox\.")
    fields = snap.fields()
    i = int(m.group(1)) - 1
    if len(fields) <= i:
        raise Stuck(f"textbox {i + 1}")
    await a.click(snap, fields[i])


async def login_user(a, snap):
    m = sentence(snap, r'username "(.+)" and the password "(.+)" into the text fields')
    values = [m.group(1), m.group(2)]
    for i, value in enumerate(values):
        fields = snap.fields()
        if len(fields) < 2:
            raise Stuck("the username and password fields")
        try:
            await a.type(snap, fields[i], value)
        except ToolError:
            pass  # a popup took the page: dismissed below, then typed again
        snap = await a.snapshot()
        cancel = [b for b in snap.buttons("Cancel")]
        if cancel:  # a popup asks to leave: stay, and type the field again
            await a.click(snap, cancel[0])
            snap = await a.snapshot()
            await a.type(snap, snap.fields()[i], value)
            snap = await a.snapshot()
    buttons = snap.buttons()
    login = [b for b in buttons if b.label().lower() in ("login", "log in", "sign in")]
    await a.click(snap, need(login or (buttons if len(buttons) == 1 else []), "the Login button"))


async def choose_list(a, snap):
    m = sentence(snap, r"Select (.+) from the list and click Submit\.")
    await a.select(snap, need(snap.find(roles=("combobox", "listbox")), "the list"), [m.group(1)])
    await submit(a)


async def click_scroll_list(a, snap):
    m = sentence(snap, r"Select (.+) from the scroll list and click Submit\.")
    await a.select(snap, need(snap.find(roles=("listbox", "combobox")), "the scroll list"), m.group(1).split(", "))
    await submit(a)


async def use_autocomplete(a, snap):
    m = sentence(snap, r'starts with "(.+?)"(?: and ends with "(.+?)")?\.')
    first, last = m.group(1), m.group(2) or ""
    field = need(snap.fields(), "the text field")
    await a.type(snap, field, first)
    for _ in range(4):  # the suggestions come after a short delay: look again
        snap = await a.snapshot()
        items = [n for n in snap.find() if n.label().startswith(first) and n.label().endswith(last)
                 and n.label() != first and n.role not in TEXTBOX]
        if items:
            break
        await asyncio.sleep(0.3)
    await a.click(snap, need(items, f"a suggestion {first}…{last}"))
    await submit(a)


async def read_table(a, snap):
    m = sentence(snap, r"Enter the value of (.+) into the text field and press Submit\.")
    key = need(snap.find(label=m.group(1), with_ref=False, pred=lambda n: n.role != "text" or n.parent is not None),
               f"the row of {m.group(1)}")
    row = next((p for p in [key] + list(key.ancestors()) if p.role == "row"), key.parent)
    cells = [c for c in row.children if c.label()] if row else []
    labels = [c.all_text() for c in cells]
    at = next((i for i, t in enumerate(labels) if t == m.group(1)), None)
    if at is None or at + 1 >= len(cells):
        raise Stuck(f"the value beside {m.group(1)}")
    await type_and_submit(a, snap, labels[at + 1])


ORDINALS = {"1st": 1, "2nd": 2, "3rd": 3}


def ordinal(word):
    return ORDINALS.get(word) or int(re.match(r"\d+", word).group(0))


async def find_word(a, snap):
    m = sentence(snap, r"Find the (\w+) word in the paragraph")
    instruction = snap.instruction()
    paragraph = next((n.label() for n in snap.nodes if n.label() and n.label() != instruction
                      and n.role not in TEXTBOX + ("button",) and len(n.label().split()) > 3
                      and not instruction.startswith(n.label())), None)
    if not paragraph:
        raise Stuck("the paragraph")
    words = paragraph.split()
    i = ordinal(m.group(1)) - 1
    if i >= len(words):
        raise Stuck(f"word {i + 1} of {paragraph!r}")
    await type_and_submit(a, snap, re.sub(r"[^A-Za-z0-9]", "", words[i]))


async def copy_paste(a, snap):
    sentence(snap, r"Copy the text in the textarea below")
    fields = snap.fields()
    source = next((f for f in fields if f.value()), None)
    target = next((f for f in fields if f is not source), None)
    if source is None or target is None:
        raise Stuck("the textarea and the text input")
    text = await a.full_value(snap, source)
    await a.type(snap, target, text)
    await submit(a)


async def scroll_text(a, snap):
    sentence(snap, r"Find the last word in the text area")
    fields = snap.fields()
    source = next((f for f in fields if f.value()), None)
    target = next((f for f in fields if f is not source), None)
    if source is None or target is None:
        raise Stuck("the text area and the text field")
    text = await a.full_value(snap, source)
    await a.type(snap, target, re.sub(r"[^A-Za-z0-9]", "", text.split()[-1]))
    await submit(a)


async def search_engine(a, snap):
    m = sentence(snap, r'enter "(.+)" and press "Search", then find and click the (\w+) search result')
    await a.type(snap, need(snap.fields(), "the search field"), m.group(1))
    snap = await a.snapshot()
    await a.click(snap, need(snap.buttons("Search"), "the Search button"))
    n = ordinal(m.group(2))
    page = (n - 1) // 3 + 1
    snap = await a.snapshot()
    if page > 1:
        await a.click(snap, need(by_label(snap, str(page)), f"page {page}"))
        snap = await a.snapshot()
    pager = {"<", ">", "First", "Last", "Previous", "Next", "«", "»"}
    results = [r for r in snap.find(roles=("link",))
               if r.label() and not r.label().isdigit() and r.label() not in pager]
    i = (n - 1) % 3
    if i >= len(results):
        raise Stuck(f"result {n}")
    await a.click(snap, results[i])


# ---- lists, drags, mail -------------------------------------------------------------------

async def drag_items(a, snap):
    m = sentence(snap, r"Drag (\S+) (to the top|to the bottom|down by one position|up by one position|"
                       r"to the (\d)\w\w position)\.")
    items = [n for n in snap.find(roles=("listitem",), with_ref=False) if n.all_text()]
    names = [n.all_text() for n in items]
    if m.group(1) not in names:
        raise Stuck(f"{m.group(1)} in the list {names}")
    i = names.index(m.group(1))
    where = m.group(2)
    target = {"to the top": 0, "to the bottom": len(items) - 1, "down by one position": i + 1,
              "up by one position": i - 1}.get(where)
    if target is None:
        target = int(m.group(3)) - 1

    def grip(n):
        if n.ref:
            return n
        inner = [d for d in n.descendants() if d.ref]
        if not inner:
            raise Stuck(f"a ref on {n.all_text()}")
        return inner[0]

    await a.drag(snap, grip(items[i]), grip(items[target]))


def email_row(snap, name):
    """The inbox row of `name`'s email: the outermost clickable box around the sender's name
    below the list, and its icons (trash, star)."""
    for n in snap.find(label=name, with_ref=False):
        boxes = [p for p in [n] + list(n.ancestors()) if snap.ref_of(p)]
        with_icons = next((p for p in boxes if len(snap.icons(p)) >= 2), None)
        if with_icons:
            return n, with_icons, snap.icons(with_icons)
        clickable = [p for p in boxes if p.clickable()]
        return n, (clickable[-1] if clickable else boxes[0] if boxes else n), []
    raise Stuck(f"the email of {name}")


async def email_inbox(a, snap):
    m = sentence(snap, r'Find the email by (.+?) and (reply to them with the text "(.*)"|forward that email to (.+)|'
                       r"click the trash icon|click the star icon)")
    name, action = m.group(1), m.group(2)
    sender, row, icons = email_row(snap, name)
    if action.startswith("click the"):
        if not icons:  # the row's icons show under the mouse
            await a.hover(snap, row)
            snap = await a.snapshot()
            sender, row, icons = email_row(snap, name)
        if len(icons) < 2:
            raise Stuck(f"the trash and star icons of {name}'s email")
        await a.click(snap, icons[0] if "trash" in action else icons[1])
        return
    await a.click(snap, sender if snap.ref_of(sender) else row)
    snap = await a.snapshot()
    verb = "Reply" if action.startswith("reply") else "Forward"
    await click_label(a, snap, verb)
    snap = await a.snapshot()
    fields = snap.fields()
    if verb == "Reply":
        body = next((f for f in fields if f.attrs.get("multiline")), fields[-1] if fields else None)
        await a.type(snap, need([body] if body else [], "the reply text"), m.group(3))
    else:
        to = need([f for f in fields if not f.value()], "the forward's to: field")
        await a.type(snap, to, m.group(4).rstrip("."))
    snap = await a.snapshot()
    # The compose bar has two icons: close, then send.
    icons = snap.icons()
    if len(icons) < 2:
        raise Stuck("the send icon")
    await a.click(snap, icons[1])


SOLVERS = {
    "click-button": click_button,
    "click-button-sequence": click_button_sequence,
    "click-checkboxes": click_checkboxes,
    "click-checkboxes-large": click_checkboxes,
    "click-checkboxes-transfer": click_checkboxes,
    "click-collapsible": click_collapsible,
    "click-collapsible-nodelay": click_collapsible,
    "click-collapsible-2": click_collapsible_2,
    "click-collapsible-2-nodelay": click_collapsible_2,
    "click-dialog": click_dialog,
    "click-dialog-2": click_dialog_2,
    "click-link": click_link,
    "click-option": click_option,
    "click-scroll-list": click_scroll_list,
    "click-tab": click_tab,
    "click-tab-2": click_tab_2,
    "click-tab-2-easy": click_tab_2,
    "click-tab-2-medium": click_tab_2,
    "click-tab-2-hard": click_tab_2,
    "click-test": click_test,
    "click-test-2": click_test_2,
    "click-test-transfer": click_test_2,
    "click-widget": click_widget,
    "choose-list": choose_list,
    "copy-paste": copy_paste,
    "drag-items": drag_items,
    "email-inbox": email_inbox,
    "email-inbox-delete": email_inbox,
    "email-inbox-forward": email_inbox,
    "email-inbox-important": email_inbox,
    "email-inbox-noscroll": email_inbox,
    "email-inbox-reply": email_inbox,
    "email-inbox-star-reply": email_inbox,
    "enter-date": enter_date,
    "enter-password": enter_password,
    "enter-text": enter_text,
    "enter-text-2": enter_text_2,
    "enter-text-dynamic": enter_text,
    "enter-time": enter_time,
    "find-word": find_word,
    "focus-text": focus_text,
    "focus-text-2": focus_text_2,
    "login-user": login_user,
    "login-user-popup": login_user,
    "navigate-tree": navigate_tree,
    "read-table": read_table,
    "scroll-text": scroll_text,
    "search-engine": search_engine,
    "social-media": social_media,
    "unicode-test": click_button,
    "use-autocomplete": use_autocomplete,
    "use-autocomplete-nodelay": use_autocomplete,
}
