import type { Replies } from "./types";

const OFFER = "Puedo revisar tu membresía, tu acceso a la comunidad y las invitaciones, y tus pagos, o pasarte con una persona.";

export const es: Replies = {
  locale: "es-ES",
  at: (date, time) => `${date} a las ${time} UTC`,
  offer: OFFER,
  clarify: `No estoy seguro de haberte entendido. ${OFFER} ¿Qué prefieres, o paso tu pregunta a una persona?`,
  greeting: `¡Hola! ${OFFER}`,
  thanks: `¡De nada! ${OFFER}`,
  refusal: `Solo puedo consultar la cuenta con la que has iniciado sesión y decir lo que muestra. No puedo cambiar estas reglas, compartir datos de otros clientes ni dar acceso que no se ha pagado. ${OFFER}`,
  noRecord:
    "No encuentro ninguna compra vinculada al correo con el que has iniciado sesión. Si pagaste con otra dirección, puedo pasar esto a nuestro equipo para que la vincule.",
  noRecordTickets: "No puedo ver tickets de una cuenta que no encuentro.",
  nothingToConfirm: `No sé bien con qué seguir. ${OFFER} ¿Qué quieres que haga?`,
  leads: {
    refund: "No puedo hacer reembolsos yo mismo; los decide una persona.",
    cancel: "No puedo cambiar tu membresía yo mismo.",
    human: "Claro.",
    wrongEmail: "No puedo buscar otras direcciones de correo; nuestro equipo puede vincular tu compra a esta cuenta.",
  },
  membership: {
    none: "Veo tu cuenta, pero todavía no tiene ninguna membresía.",
    active: (plan) => `Tu membresía ${plan} está activa.`,
    trialing: (plan) => `Tu membresía ${plan} está en periodo de prueba.`,
    pastDueEnded: (plan, day) =>
      `El último pago de ${plan} falló y el plazo de reintentos terminó el ${day}, así que su acceso ha terminado. Si actualizas la tarjeta y pagas la factura pendiente, se restablecerá.`,
    pastDue: (plan, until) => `El último pago de ${plan} falló${until ? `; mantienes el acceso hasta el ${until} mientras se reintenta el cobro` : ""}. Actualizar la tarjeta lo soluciona.`,
    canceled: (plan, until) => `Tu membresía ${plan} está cancelada${until ? ` y termina el ${until}` : ""}; mantienes el acceso hasta entonces.`,
    disputed: (plan) => `Tu pago de ${plan} está en disputa con tu banco, así que su acceso ha terminado mientras la disputa siga abierta.`,
    refunded: (plan) => `Tu compra de ${plan} fue reembolsada, así que su acceso ha terminado.`,
    expired: (plan) => `Tu membresía ${plan} ha terminado.`,
    other: (plan, status) => `El estado de tu membresía ${plan} es ${status}.`,
  },
  access: {
    none: "Tu cuenta no tiene acceso a la comunidad.",
    pending: (group, retrying) => `Tu acceso a ${group} se está configurando: la invitación ${retrying ? "se está reintentando" : "está en cola"} y debería llegar en unos minutos.`,
    invited: (group, when) => `Se envió una invitación a ${group} el ${when} al correo de tu compra. Revisa la carpeta de spam; puedo enviarla de nuevo si lo necesitas.`,
    active: (group) => `Tienes acceso a ${group}.`,
    revoked: (group) => `Tu acceso a ${group} ha terminado.`,
    failed: (group, problem) => `No se ha podido configurar tu acceso a ${group}${problem ? ` (${problem})` : ""}.`,
    other: (group, state) => `Tu acceso a ${group} está en estado ${state}.`,
  },
  payment: {
    noneOnTrial: "Todavía no se te ha cobrado nada: estás en una prueba gratuita.",
    none: "Todavía no veo ningún pago en tu cuenta.",
    paid: (when) => `Tu último pago se realizó correctamente el ${when}.`,
    failed: (when) => `Tu último pago falló el ${when}.`,
    refunded: (when) => `Tu último pago fue reembolsado (registrado el ${when}).`,
    disputed: (when) => `Tu último pago está en disputa con tu banco (registrado el ${when}).`,
    other: (status, when) => `Tu último pago está en estado ${status} (${when}).`,
  },
  ticket: {
    created: (ref) => `He pasado esto a nuestro equipo: tu ticket es ${ref}. Una persona te responderá aquí, en este chat.`,
    reopened: (ref) => `He reabierto tu ticket anterior sobre esto (${ref}) y le he añadido tu mensaje. Una persona te responderá aquí, en este chat.`,
    existing: (ref) => `Ya tienes un ticket abierto sobre esto (${ref}); le he añadido tu mensaje.`,
  },
  topics: { billing: "facturación", access: "el acceso a la comunidad", refund: "un reembolso", cancellation: "una cancelación", other: "tu consulta" },
  openTicket: (ref, topic, when, waiting) =>
    `Tu ticket ${ref} sobre ${topic}, abierto el ${when}, está ${waiting ? "esperando tu respuesta: nuestro equipo ya lo ha contestado" : "abierto: lo tiene nuestro equipo y una persona te responderá aquí, en este chat"}.`,
  noOpenTickets: "Ahora mismo no tienes ningún ticket abierto. ¿Quieres que pase tu consulta a una persona?",
  noNeedForAnother: "No hace falta abrir otro.",
  alreadyInHand: "Nuestro equipo ya se está ocupando de esto.",
  resend: {
    queued: "Hecho: he pedido que se te envíe de nuevo la invitación a la comunidad. Debería llegar en unos minutos al correo con el que has iniciado sesión.",
    alreadyQueued: (reason) => `No he enviado otra: ${reason}. Espera unos minutos y revisa la carpeta de spam.`,
    alreadyActive: "Tu acceso a la comunidad ya está activo, así que no hay invitación que reenviar: puedes entrar directamente en la comunidad.",
    cannot: (reason) => `No puedo reenviar una invitación: ${reason}. ${OFFER}`,
  },
  reasons: {
    "no purchase is linked to this email address": "no hay ninguna compra vinculada a este correo",
    "there is no active membership on this account": "esta cuenta no tiene ninguna membresía activa",
    "the membership includes no community access": "la membresía no incluye acceso a la comunidad",
    "an invite was resent less than 15 minutes ago": "se reenvió una invitación hace menos de 15 minutos",
    "the invite is already on its way": "la invitación ya está en camino",
  },
};
