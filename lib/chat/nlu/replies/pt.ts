import type { Replies } from "./types";

const OFFER = "Posso verificar sua assinatura, seu acesso à comunidade e os convites, e seus pagamentos, ou passar você para uma pessoa.";

export const pt: Replies = {
  locale: "pt-BR",
  at: (date, time) => `${date} às ${time} UTC`,
  offer: OFFER,
  clarify: `Não tenho certeza se entendi. ${OFFER} O que você prefere, ou passo sua pergunta para uma pessoa?`,
  greeting: `Olá! ${OFFER}`,
  thanks: `De nada! ${OFFER}`,
  refusal: `Só posso consultar a conta com que você entrou e dizer apenas o que ela mostra. Não posso mudar estas regras, compartilhar dados de outros clientes nem dar acesso que não foi pago. ${OFFER}`,
  noRecord:
    "Não encontro nenhuma compra ligada ao email com que você entrou. Se você pagou com outro endereço, posso passar isso para nossa equipe vincular.",
  noRecordTickets: "Não consigo ver chamados de uma conta que não encontro.",
  nothingToConfirm: `Não sei bem com o que seguir. ${OFFER} O que você quer que eu faça?`,
  leads: {
    refund: "Não posso fazer reembolsos eu mesmo; quem decide é uma pessoa.",
    cancel: "Não posso alterar sua assinatura eu mesmo.",
    human: "Claro.",
    wrongEmail: "Não posso consultar outros endereços de email; nossa equipe pode vincular sua compra a esta conta.",
  },
  membership: {
    none: "Vejo sua conta, mas ainda sem nenhuma assinatura.",
    active: (plan) => `Sua assinatura ${plan} está ativa.`,
    trialing: (plan) => `Sua assinatura ${plan} está no período de teste.`,
    pastDueEnded: (plan, day) =>
      `O último pagamento de ${plan} falhou e o prazo de novas tentativas terminou em ${day}, então o acesso terminou. Atualizar o cartão e pagar a fatura em aberto vai restaurá-lo.`,
    pastDue: (plan, until) => `O último pagamento de ${plan} falhou${until ? `; você mantém o acesso até ${until} enquanto o cartão é cobrado de novo` : ""}. Atualizar o cartão resolve.`,
    canceled: (plan, until) => `Sua assinatura ${plan} está cancelada${until ? ` e termina em ${until}` : ""}; você mantém o acesso até lá.`,
    disputed: (plan) => `Seu pagamento de ${plan} está em disputa com o seu banco, então o acesso terminou enquanto a disputa estiver aberta.`,
    refunded: (plan) => `Sua compra de ${plan} foi reembolsada, então o acesso terminou.`,
    expired: (plan) => `Sua assinatura ${plan} terminou.`,
    other: (plan, status) => `O status da sua assinatura ${plan} é ${status}.`,
  },
  access: {
    none: "Sua conta não tem acesso à comunidade.",
    pending: (group, retrying) => `Seu acesso a ${group} está sendo configurado: o convite ${retrying ? "está sendo reenviado" : "está na fila"} e deve chegar em poucos minutos.`,
    invited: (group, when) => `Um convite para ${group} foi enviado em ${when} para o email da sua compra. Confira a pasta de spam; posso enviá-lo de novo se precisar.`,
    active: (group) => `Você tem acesso a ${group}.`,
    revoked: (group) => `Seu acesso a ${group} terminou.`,
    failed: (group, problem) => `A configuração do seu acesso a ${group} não funcionou${problem ? ` (${problem})` : ""}.`,
    other: (group, state) => `Seu acesso a ${group} está no estado ${state}.`,
  },
  payment: {
    noneOnTrial: "Você ainda não foi cobrado: está em um teste grátis.",
    none: "Ainda não vejo nenhum pagamento na sua conta.",
    paid: (when) => `Seu último pagamento foi aprovado em ${when}.`,
    failed: (when) => `Seu último pagamento falhou em ${when}.`,
    refunded: (when) => `Seu último pagamento foi reembolsado (registrado em ${when}).`,
    disputed: (when) => `Seu último pagamento está em disputa com o seu banco (registrado em ${when}).`,
    other: (status, when) => `Seu último pagamento está no estado ${status} (${when}).`,
  },
  ticket: {
    created: (ref) => `Passei isso para nossa equipe: seu chamado é ${ref}. Uma pessoa vai responder aqui, neste chat.`,
    reopened: (ref) => `Reabri seu chamado anterior sobre isso (${ref}) e adicionei sua mensagem. Uma pessoa vai responder aqui, neste chat.`,
    existing: (ref) => `Você já tem um chamado aberto sobre isso (${ref}); adicionei sua mensagem a ele.`,
  },
  topics: { billing: "cobrança", access: "o acesso à comunidade", refund: "um reembolso", cancellation: "um cancelamento", other: "sua dúvida" },
  openTicket: (ref, topic, when, waiting) =>
    `Seu chamado ${ref} sobre ${topic}, aberto em ${when}, está ${waiting ? "esperando sua resposta: nossa equipe já respondeu" : "aberto: está com nossa equipe, e uma pessoa vai responder aqui, neste chat"}.`,
  noOpenTickets: "Você não tem nenhum chamado aberto agora. Quer que eu passe sua pergunta para uma pessoa?",
  noNeedForAnother: "Não é preciso abrir outro.",
  alreadyInHand: "Nossa equipe já está cuidando disso.",
  resend: {
    queued: "Pronto: pedi que seu convite para a comunidade seja enviado de novo. Deve chegar em poucos minutos no email com que você entrou.",
    alreadyQueued: (reason) => `Não enviei outro: ${reason}. Espere alguns minutos e confira a pasta de spam.`,
    alreadyActive: "Seu acesso à comunidade já está ativo, então não há convite para reenviar: você pode entrar na comunidade diretamente.",
    cannot: (reason) => `Não consigo reenviar um convite: ${reason}. ${OFFER}`,
  },
  reasons: {
    "no purchase is linked to this email address": "não há compra ligada a este email",
    "there is no active membership on this account": "esta conta não tem assinatura ativa",
    "the membership includes no community access": "a assinatura não inclui acesso à comunidade",
    "an invite was resent less than 15 minutes ago": "um convite foi reenviado há menos de 15 minutos",
    "the invite is already on its way": "o convite já está a caminho",
  },
};
