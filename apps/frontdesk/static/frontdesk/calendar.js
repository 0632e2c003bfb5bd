// The front desk calendar (templates/admin/frontdesk/calendar.html): the filters
// apply as soon as they change, and an appointment dragged to another time or
// provider opens the move form, filled in, to confirm. The form posts to the same
// page as the "Move" link, so the server checks and moves it either way.
"use strict";

(() => {
  const SNAP_MINUTES = 15;
  const ROW_MINUTES = 5;

  for (const select of document.querySelectorAll("form[data-autosubmit] select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }

  const board = document.querySelector(".fd-board");
  const dialog = document.getElementById("fd-move-dialog");
  if (!board || !dialog) {
    return;
  }
  const form = dialog.querySelector("form");
  const preview = document.createElement("div");
  let dragged = null; // {block, grab: pointer's distance from the block's top}

  const clock = (minute) =>
    `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

  // The minute of the day where the dragged block's top would land.
  const minuteAt = (slots, clientY) => {
    const box = slots.getBoundingClientRect();
    const first = Number(slots.dataset.first);
    const minutes = Number(slots.dataset.minutes);
    const top = clientY - dragged.grab - box.top;
    const minute = first + Math.round((top / box.height) * minutes / SNAP_MINUTES) * SNAP_MINUTES;
    return Math.min(Math.max(minute, first), first + minutes - SNAP_MINUTES);
  };

  const spanOf = (block) =>
    [...block.classList].find((name) => name.startsWith("s-")) || "s-6";

  const showPreview = (slots, minute) => {
    const row = (minute - Number(slots.dataset.first)) / ROW_MINUTES + 1;
    preview.className = `fd-preview r-${row} ${spanOf(dragged.block)}`;
    preview.textContent = clock(minute);
    if (preview.parentElement !== slots) {
      slots.append(preview);
    }
  };

  const endDrag = () => {
    preview.remove();
    if (dragged) {
      dragged.block.classList.remove("is-dragging");
    }
    dragged = null;
  };

  board.addEventListener("dragstart", (event) => {
    const block = event.target.closest(".fd-block[data-move-url]");
    if (!block) {
      return;
    }
    dragged = { block, grab: event.clientY - block.getBoundingClientRect().top };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", block.title);
    block.classList.add("is-dragging");
  });

  board.addEventListener("dragover", (event) => {
    const slots = event.target.closest(".fd-col .fd-slots");
    if (!dragged || !slots) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    showPreview(slots, minuteAt(slots, event.clientY));
  });

  board.addEventListener("drop", (event) => {
    const slots = event.target.closest(".fd-col .fd-slots");
    if (!dragged || !slots) {
      return;
    }
    event.preventDefault();
    const block = dragged.block;
    const minute = minuteAt(slots, event.clientY);
    endDrag();
    form.action = block.dataset.moveUrl;
    form.elements.provider.value = slots.dataset.provider;
    form.elements.date.value = slots.dataset.date;
    form.elements.time.value = clock(minute);
    dialog.querySelector(".fd-move-what").textContent = block.title;
    dialog.showModal();
  });

  board.addEventListener("dragend", endDrag);
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
})();
