//! Real input on the active target: mouse clicks (any button, double, at a point), hover,
//! drag, typing, keys and chords, scrolling. Everything goes through `Input.*` events, so
//! the page sees what a person's input would produce: typing is a key press per character
//! (keydown, keypress, beforeinput, input, keyup). Clicks, drops and key presses settle on
//! what they caused (a navigation, a dialog, the DOM quiet), see [`crate::settle`].

use crate::ctx::{on_active_target, Ctx};
use crate::error::{err, Error};
use crate::keys::{self, Key};
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::time::Instant;

on_active_target!(Click => Clicked, |cmd, ctx| ctx.click(cmd).await);
on_active_target!(Hover => Clicked, |cmd, ctx| {
    let started = Instant::now();
    let (x, y) = ctx.point(Some(&cmd.element), None, None).await?;
    ctx.mouse_event(MouseEvent::moved((x, y), Button::None, 0)).await?;
    Ok(Clicked { timing_ms: started.elapsed().as_millis() as u64, navigated: false })
});
on_active_target!(Drag => Timing, |cmd, ctx| ctx.drag(cmd).await);
on_active_target!(TypeText => Timing, |cmd, ctx| ctx.type_text(cmd).await);
on_active_target!(Press => Done, |cmd, ctx| {
    if let Some(r) = &cmd.element {
        ctx.ref_op(r, "focus", json!(false)).await?;
    }
    ctx.press_settled(&cmd.key).await?;
    Ok(Done::YES)
});
on_active_target!(Scroll => Scrolled, |cmd, ctx| {
    let dy = cmd.dy.unwrap_or(0.0);
    let moved = match &cmd.element {
        Some(r) => ctx.ref_op(r, "scroll", json!(dy)).await?,
        None => ctx.eval(&format!("(window.scrollBy(0, {dy}), {{scrollY: window.scrollY}})")).await?,
    };
    let number = |k: &str| moved[k].as_number().cloned();
    Ok(Scrolled { scroll_top: number("scrollTop"), scroll_y: number("scrollY") })
});
on_active_target!(ScrollIntoView => Rect, |cmd, ctx| {
    let rect = ctx.ref_op(&cmd.element, "scrollIntoView", Value::Null).await?;
    serde_json::from_value(rect).map_err(|e| err("js_error", format!("the page answered an odd box: {e}")))
});

/// A mouse button (and the `buttons` bit it sets while held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Button {
    None,
    Left,
    Right,
    Middle,
}

impl Button {
    fn parse(name: Option<&str>) -> Result<Self, Error> {
        match name.unwrap_or("left") {
            "left" => Ok(Button::Left),
            "right" => Ok(Button::Right),
            "middle" => Ok(Button::Middle),
            other => Err(Error::param("button", format!("must be left, right or middle, not {other:?}"))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Button::None => "none",
            Button::Left => "left",
            Button::Right => "right",
            Button::Middle => "middle",
        }
    }

    fn bit(self) -> u32 {
        match self {
            Button::None => 0,
            Button::Left => 1,
            Button::Right => 2,
            Button::Middle => 4,
        }
    }
}

/// One mouse event: where, which button (and `held`, the buttons bitmask while it
/// happens), the click count, and the modifier bits.
struct MouseEvent<'k> {
    kind: &'k str,
    at: (f64, f64),
    button: Button,
    count: u8,
    held: u32,
    modifiers: u32,
}

impl MouseEvent<'static> {
    /// A move, with `held` down (`Button::None` for none) and `modifiers`.
    fn moved(at: (f64, f64), held: Button, modifiers: u32) -> Self {
        MouseEvent { kind: "mouseMoved", at, button: held, count: 0, held: held.bit(), modifiers }
    }

    /// `mousePressed` or `mouseReleased` of `button`, the `count`th in a row.
    fn press(kind: &'static str, at: (f64, f64), button: Button, count: u8, modifiers: u32) -> Self {
        let held = if kind == "mousePressed" { button.bit() } else { 0 };
        MouseEvent { kind, at, button, count, held, modifiers }
    }
}

/// How many mouse moves a drag makes between its two points (pages track the path).
const DRAG_STEPS: u32 = 10;

impl Ctx<'_> {
    /// Where to aim: an element's centre (brought into view; it must be visible), or x/y.
    pub(crate) async fn point(
        &self,
        element: Option<&str>,
        x: Option<f64>,
        y: Option<f64>,
    ) -> Result<(f64, f64), Error> {
        match (element, x, y) {
            (Some(r), _, _) => {
                let at = self.ref_op(r, "center", Value::Null).await?;
                if at["visible"] != true {
                    return Err(err("element_not_visible", format!("ref {r} is not visible, so it cannot be clicked")));
                }
                Ok((at["x"].as_f64().unwrap_or(0.0), at["y"].as_f64().unwrap_or(0.0)))
            }
            (None, Some(x), Some(y)) => Ok((x, y)),
            _ => Err(Error::param("ref", "give the element's ref, or both x and y")),
        }
    }

    /// One `Input.dispatchMouseEvent`.
    async fn mouse_event(&self, e: MouseEvent<'_>) -> Result<(), Error> {
        let params = json!({"type": e.kind, "x": e.at.0, "y": e.at.1, "button": e.button.name(),
            "buttons": e.held, "clickCount": e.count, "modifiers": e.modifiers});
        self.input("Input.dispatchMouseEvent", params).await.map(drop)
    }

    /// Moves to the point and presses/releases `button` `clickCount` times (the second
    /// press of a double click carries clickCount 2, which is what fires `dblclick`).
    pub(crate) async fn click(&self, cmd: Click) -> Result<Clicked, Error> {
        let started = Instant::now();
        let (x, y) = self.point(cmd.element.as_deref(), cmd.x, cmd.y).await?;
        let button = Button::parse(cmd.button.as_deref())?;
        let count = cmd.click_count.unwrap_or(1).clamp(1, 3);
        let mut modifiers = 0;
        for name in cmd.modifiers.iter().flatten() {
            modifiers |= keys::modifier_bit(name)
                .ok_or_else(|| Error::param("modifiers", format!("{name:?} is not Alt, Control, Meta or Shift")))?;
        }
        let clicks = async {
            self.mouse_event(MouseEvent::moved((x, y), Button::None, modifiers)).await?;
            for n in 1..=count {
                self.mouse_event(MouseEvent::press("mousePressed", (x, y), button, n, modifiers)).await?;
                self.mouse_event(MouseEvent::press("mouseReleased", (x, y), button, n, modifiers)).await?;
            }
            Ok(())
        };
        let ((), settled) = self.settled(clicks).await?;
        Ok(Clicked { timing_ms: started.elapsed().as_millis() as u64, navigated: settled.navigated })
    }

    /// Press on `from`, move in steps, release on `to` (or at toX/toY).
    async fn drag(&self, cmd: Drag) -> Result<Timing, Error> {
        let started = Instant::now();
        let to = match (&cmd.to, cmd.to_x, cmd.to_y) {
            (Some(r), _, _) => self.point(Some(r), None, None).await?,
            (None, Some(x), Some(y)) => (x, y),
            _ => return Err(Error::param("to", "give the target's ref, or both toX and toY")),
        };
        let from = self.point(Some(&cmd.from), None, None).await?;
        // Bringing `from` into view may have moved `to`: aim at where it is now.
        let to = match &cmd.to {
            Some(r) => self.point(Some(r), None, None).await?,
            None => to,
        };
        let left = Button::Left;
        self.mouse_event(MouseEvent::moved((from.0, from.1), Button::None, 0)).await?;
        self.mouse_event(MouseEvent::press("mousePressed", (from.0, from.1), left, 1, 0)).await?;
        for step in 1..=DRAG_STEPS {
            let t = f64::from(step) / f64::from(DRAG_STEPS);
            let (x, y) = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            self.mouse_event(MouseEvent::moved((x, y), left, 0)).await?;
        }
        // The drop settles (what the page does with it: reorder, upload, navigate).
        self.settled(self.mouse_event(MouseEvent::press("mouseReleased", (to.0, to.1), left, 1, 0))).await?;
        Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 })
    }

    /// Focuses the element (emptying it first with `clear`), then types the text key by
    /// key (or inserts it at once with `insert`), then presses Enter with `submit`. An
    /// element that takes no text (a button, a checkbox, a plain div) is `not_editable`.
    async fn type_text(&self, cmd: TypeText) -> Result<Timing, Error> {
        let started = Instant::now();
        let r = &cmd.element;
        let focused = self.ref_op(r, "focus", json!(cmd.clear.unwrap_or(false))).await?;
        // An older page-side op says nothing of `editable`: then the element is taken as editable.
        if focused["editable"] == false {
            let role = focused["role"].as_str().filter(|role| !role.is_empty()).unwrap_or("element");
            // A text field that takes no text is disabled or read-only.
            let role = match role {
                "textbox" | "searchbox" | "spinbutton" => format!("disabled or read-only {role}"),
                other => other.to_owned(),
            };
            let a = if role.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            return Err(err(
                "not_editable",
                format!(
                    "ref {r} is {a} {role}, which cannot take text: type into a text field, a text area or an \
                     editable element (to send keys to something else, press them)"
                ),
            ));
        }
        if focused["focused"] != true {
            return Err(err("element_not_visible", format!("ref {r} cannot take keyboard focus")));
        }
        if focused["role"].as_str().is_some_and(takes_a_picked_value) {
            // A date, time or colour field is not typed into character by character (its
            // parts take digits in the locale's order): it is set from the value, checked.
            let done = self.ref_op(r, "fill", json!(cmd.text.trim_end_matches(['\r', '\n']))).await?;
            crate::forms::refused(&done, "text", "", r, "")?;
            if cmd.submit.unwrap_or(false) {
                self.press_settled("Enter").await?;
            }
            return Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 });
        }
        if cmd.insert.unwrap_or(false) {
            self.input("Input.insertText", json!({"text": cmd.text})).await?;
        } else {
            self.type_keys(&cmd.text).await?;
        }
        if cmd.submit.unwrap_or(false) {
            self.press_settled("Enter").await?;
        }
        Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 })
    }

    /// Types `text` into the focused element as a keyboard does: per character a key down
    /// (with its text, so keypress, beforeinput and input follow) and up; a line break
    /// (`\n`, `\r` or `\r\n`) is one Enter (a new line in a text area, the form submitted
    /// in a one-line field). A line break that ends the text settles like a key press.
    async fn type_keys(&self, text: &str) -> Result<(), Error> {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            let key = keys::typed(c);
            let stroke = async {
                self.key_event("keyDown", &key, 0).await?;
                self.key_event("keyUp", &key, 0).await
            };
            if key.key == "Enter" && chars.peek().is_none() {
                self.settled(stroke).await?;
            } else {
                stroke.await?;
            }
        }
        Ok(())
    }

    /// [`Ctx::press`], then settles on what it caused (Enter may submit a form).
    pub(crate) async fn press_settled(&self, spec: &str) -> Result<crate::settle::Settled, Error> {
        Ok(self.settled(self.press(spec)).await?.1)
    }

    /// Presses a key or chord: modifiers down in order, the key down and up (typing its
    /// text unless Control, Alt or Meta is held), modifiers up in reverse.
    pub(crate) async fn press(&self, spec: &str) -> Result<(), Error> {
        let chord = keys::chord(spec, cfg!(target_os = "macos")).map_err(|part| {
            err(
                "unknown_key",
                format!(
                    "unknown key {part:?} in {spec:?}: use one character, a named key (Enter, Tab, Escape, \
                     Backspace, Delete, Arrow*, Home, End, PageUp, PageDown, Insert, Space, F1-F24) and the \
                     modifiers Control, Shift, Alt, Meta or ControlOrMeta joined with + (Control+A)"
                ),
            )
        })?;
        let mut held = 0;
        for m in &chord.modifiers {
            held |= keys::modifier_bit(&m.key).unwrap_or(0);
            self.key_event("rawKeyDown", m, held).await?;
        }
        let down = if chord.key.text.is_empty() { "rawKeyDown" } else { "keyDown" };
        self.key_event(down, &chord.key, chord.bits).await?;
        self.key_event("keyUp", &chord.key, chord.bits).await?;
        for m in chord.modifiers.iter().rev() {
            held &= !keys::modifier_bit(&m.key).unwrap_or(0);
            self.key_event("keyUp", m, held).await?;
        }
        Ok(())
    }

    async fn key_event(&self, kind: &str, key: &Key, modifiers: u32) -> Result<(), Error> {
        let mut params = json!({"type": kind, "key": key.key,
            "windowsVirtualKeyCode": key.key_code, "nativeVirtualKeyCode": key.key_code, "modifiers": modifiers});
        if !key.code.is_empty() {
            params["code"] = json!(key.code);
        }
        if kind != "keyUp" && !key.text.is_empty() {
            params["text"] = json!(key.text);
            params["unmodifiedText"] = json!(key.text);
        }
        self.input("Input.dispatchKeyEvent", params).await.map(drop)
    }
}

/// Whether a field of this (page-side) role takes a picked value rather than typed keys.
fn takes_a_picked_value(role: &str) -> bool {
    ["date input", "time input", "datetime-local input", "month input", "week input", "color input"].contains(&role)
}
