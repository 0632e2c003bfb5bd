/* The booking page (templates/admin/frontdesk/book.html): free times and customers
   load as staff pick, without reloading the page. The page works without this file:
   its "Show free times" and "Find" buttons reload it with the same answers. */
"use strict";

(function () {
  const form = document.getElementById("vh-book");
  if (!form) {
    return;
  }
  form.classList.add("vh-js");

  const field = (name) => form.elements.namedItem(name);
  const slots = document.getElementById("vh-slots");
  const customers = document.getElementById("vh-customers");
  const newCustomer = ["name", "phone", "email"].map(field).filter(Boolean);
  const otherTime = field("time");

  /* Replace a container's content with the fragment at `url`; a slower answer to an
     older question never overwrites a newer one. */
  function loader(container, baseUrl, failure) {
    let latest = 0;
    return function load(params) {
      const asked = ++latest;
      container.setAttribute("aria-busy", "true");
      fetch(`${baseUrl}?${params}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response)))
        .then((html) => {
          if (asked === latest) {
            container.innerHTML = html;
          }
        })
        .catch(() => {
          if (asked === latest) {
            container.textContent = failure;
          }
        })
        .finally(() => {
          if (asked === latest) {
            container.removeAttribute("aria-busy");
          }
        });
    };
  }

  const loadSlots = loader(
    slots,
    form.dataset.slotsUrl,
    "The free times could not be loaded. Check the day and try again."
  );
  function refreshSlots() {
    const params = new URLSearchParams();
    for (const name of ["business", "service", "provider", "date"]) {
      params.set(name, field(name).value);
    }
    if (field("date").value) {
      loadSlots(params);
    }
  }

  /* Another business has other services, providers and customers: reload the page
     for it, as the button without this script would. */
  field("business").addEventListener("change", () => {
    form.requestSubmit(form.querySelector("button[name=refresh][value=times]"));
  });
  for (const name of ["service", "provider", "date"]) {
    field(name).addEventListener("change", refreshSlots);
  }

  /* A free time and another time exclude each other. */
  slots.addEventListener("change", (event) => {
    if (event.target.name === "slot" && otherTime) {
      otherTime.value = "";
    }
  });
  if (otherTime) {
    otherTime.addEventListener("input", () => {
      slots.querySelectorAll("input[name=slot]").forEach((radio) => {
        radio.checked = false;
      });
    });
  }

  if (!customers) {
    return;
  }
  const search = field("q");
  const loadCustomers = loader(
    customers,
    form.dataset.customersUrl,
    "Customers could not be searched. Try again."
  );
  let typing = null;
  function findCustomers() {
    clearTimeout(typing);
    const params = new URLSearchParams({
      business: field("business").value,
      q: search.value,
    });
    loadCustomers(params);
  }
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(findCustomers, 250);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // search, don't submit the booking
      findCustomers();
    }
  });

  /* A customer found and a new customer exclude each other. */
  customers.addEventListener("change", (event) => {
    if (event.target.name === "lead") {
      newCustomer.forEach((input) => {
        input.value = "";
      });
    }
  });
  newCustomer.forEach((input) => {
    input.addEventListener("input", () => {
      customers.querySelectorAll("input[name=lead]").forEach((radio) => {
        radio.checked = false;
      });
    });
  });
})();
