"""A Spanish-speaking caller who books (issue #16), as a simulated call.

A mixin of CallSimulator, like the transfer fallback. The call starts in the
business's default language; the caller speaks Spanish, VAPI's transcriber
notices (language-change-detected, recorded on the call) and every tool answer
from then on is in Spanish. The business must speak Spanish (Business.languages).
"""

import re

from apps.vapi.simulation.payloads import server_message
from apps.vapi.simulation.transports import Reply

# check_availability's offer in Spanish (apps.roxy.booking_tools, locale/es).
SPANISH_OFFER = re.compile(
    r"(?P<when>el [^;(]+? a las \d{1,2}:\d{2}) con (?P<who>[^;(]+?)"
    r" \(slot id: (?P<slot_id>[^)\s]+)\)"
)


class SpanishBooking:
    def _booking_es(self) -> None:
        """Habla español: the switch is recorded, the offer and the booking are
        answered in Spanish, and the appointment is made."""
        self.outcome.intent, self.outcome.service = "book", self.service
        if not self._answer():
            return self._end("customer-ended-call")
        self._user(f"Hola, quisiera reservar un {self.service} para esta semana.")
        body = server_message(
            self.state, "language-change-detected", at_ms=self._tick(0.4), language="es"
        )
        self._send("language-change-detected es", body, _acknowledged)
        self._bot("¡Claro! Un momento, voy a mirar la agenda.")
        offered = self._tool(
            "check_availability",
            {"service": self.service},
            expect=lambda text: SPANISH_OFFER.search(text) is not None,
        )
        match = SPANISH_OFFER.search(offered or "")
        if match is None:
            self._bot("Lo siento, ahora mismo no encuentro ningún horario libre.")
            return self._end("customer-ended-call")
        offer = match.groupdict()
        self._bot(f"Tengo {offer['when']} con {offer['who']}. ¿Le viene bien?")
        self._user(f"Sí, perfecto. Me llamo {self.caller.name}.")
        booked = self._tool(
            "book_appointment",
            {
                "slot_id": offer["slot_id"],
                "name": self.caller.name,
                "phone": self.caller.number,
            },
            expect=lambda text: text.startswith("Reservado"),
        )
        if booked and booked.startswith("Reservado"):
            self.outcome.booked = f"{offer['when']} con {offer['who']}"
            self._bot(f"Listo, le esperamos {offer['when']}. ¿Algo más?")
        self._user("No, eso es todo. ¡Gracias, adiós!")
        self._end("customer-ended-call")


def _acknowledged(reply: Reply) -> tuple[bool, str]:
    return reply.is_success, "ok"
