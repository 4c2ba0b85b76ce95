//! The UI's texts in Spanish and English. A missing key renders as `⟦key⟧`, which the
//! tests look for on every page.
use atiende_core::Language;

/// (key, Spanish, English)
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.tagline", "Atención omnicanal", "Omnichannel customer service"),
    ("nav.board", "Mesón", "Board"),
    ("nav.profile", "Perfil", "Profile"),
    ("nav.logout", "Salir", "Log out"),
    ("nav.help", "Atajos", "Shortcuts"),
    ("nav.status", "Estado de conexión", "Connection status"),
    ("login.title", "Ingresar", "Log in"),
    ("login.email", "Correo electrónico", "Email"),
    ("login.password", "Contraseña", "Password"),
    (
        "login.cross_site",
        "Ingresa desde la página de Atiende, no desde otro sitio.",
        "Log in from Atiende's own page, not from another site.",
    ),
    ("login.submit", "Ingresar", "Log in"),
    ("login.failed", "Correo o contraseña incorrectos.", "Wrong email or password."),
    (
        "login.choose_organization",
        "Esta dirección y contraseña abren varias organizaciones: elija una y vuelva a escribir la contraseña.",
        "This address and password open several organizations: choose one and type the password again.",
    ),
    ("login.organization", "Organización", "Organization"),
    ("login.limited", "Demasiados intentos. Espera unos minutos.", "Too many attempts. Wait a few minutes."),
    ("login.forgot", "¿Olvidaste tu contraseña?", "Forgot your password?"),
    ("reset.title", "Recuperar contraseña", "Reset your password"),
    (
        "reset.intro",
        "Te enviaremos un enlace para elegir una nueva contraseña.",
        "We will send you a link to choose a new password.",
    ),
    ("reset.send", "Enviar enlace", "Send link"),
    (
        "reset.sent",
        "Si el correo pertenece a un usuario, recibirá un enlace válido por una hora.",
        "If the address belongs to a user, it will receive a link valid for one hour.",
    ),
    ("reset.new", "Nueva contraseña", "New password"),
    ("reset.save", "Guardar contraseña", "Save password"),
    ("reset.invalid", "El enlace no es válido o ya expiró.", "The link is invalid or has expired."),
    ("reset.done", "Contraseña cambiada. Ya puedes ingresar.", "Password changed. You can log in now."),
    ("board.empty.title", "Tu mesón está vacío", "Your board is empty"),
    (
        "board.empty.intro",
        "Cada columna es un filtro guardado. Empieza con un flujo recomendado o crea tus columnas.",
        "Each column is a saved filter. Start from a recommended flow or build your own columns.",
    ),
    ("board.flow.mine", "Flujo recomendado: mis tickets", "Recommended flow: my tickets"),
    ("board.flow.team", "Flujo recomendado: todo el equipo", "Recommended flow: the whole team"),
    ("board.add", "Nueva columna", "New column"),
    ("board.more", "Cargar más", "Load more"),
    ("board.none", "Sin tickets", "No tickets"),
    ("board.unassigned", "Sin asignar", "Unassigned"),
    ("board.unread", "No leído", "Unread"),
    ("board.live", "En vivo", "Live"),
    ("board.offline", "Reconectando…", "Reconnecting…"),
    ("column.new", "Nuevos", "New"),
    ("column.awaiting", "Abordados esperando respuesta", "Addressed, awaiting answer"),
    ("column.answered", "Abordados respondidos", "Addressed, answered"),
    ("column.edit", "Editar", "Edit"),
    ("column.left", "Mover a la izquierda", "Move left"),
    ("column.right", "Mover a la derecha", "Move right"),
    ("column.delete", "Eliminar columna", "Delete column"),
    ("column.form.new", "Nueva columna", "New column"),
    ("column.form.edit", "Editar columna", "Edit column"),
    ("column.name", "Nombre", "Name"),
    ("column.state", "Estado", "State"),
    ("column.addressed", "Abordado", "Addressed"),
    ("column.awaiting_answer", "Esperando respuesta", "Awaiting answer"),
    ("column.important", "Importante", "Important"),
    ("column.kinds", "Canales", "Channels"),
    (
        "column.overdue",
        "Solo atrasados (esperando más que el SLA de su cuenta)",
        "Overdue only (waiting longer than their account's SLA)",
    ),
    ("column.accounts", "Cuentas", "Accounts"),
    ("column.assignee", "Asignado a", "Assigned to"),
    ("column.assignee_ids", "Ejecutivos", "Agents"),
    ("column.client", "Cliente (nombre, correo, teléfono, usuario)", "Client (name, email, phone, handle)"),
    ("column.tags", "Etiquetas (separadas por coma)", "Tags (comma separated)"),
    ("column.created", "Creado entre", "Created between"),
    ("column.updated", "Actualizado entre", "Updated between"),
    ("column.sort", "Orden", "Sort"),
    ("column.save", "Guardar", "Save"),
    ("column.cancel", "Cancelar", "Cancel"),
    ("any", "Cualquiera", "Any"),
    ("yes", "Sí", "Yes"),
    ("no", "No", "No"),
    ("assignee.any", "Cualquiera", "Anyone or no one"),
    ("assignee.none", "Nadie (sin asignar)", "No one (unassigned)"),
    ("assignee.me", "A mí", "Me"),
    ("assignee.users", "Ejecutivos elegidos", "Chosen agents"),
    ("sort.updated_desc", "Actualizados recientemente primero", "Recently updated first"),
    ("sort.updated_asc", "Más tiempo sin actualizar primero", "Longest without update first"),
    ("sort.created_desc", "Más nuevos primero", "Newest first"),
    ("sort.created_asc", "Más antiguos primero", "Oldest first"),
    ("state.open", "Abierto", "Open"),
    ("state.closed", "Cerrado", "Closed"),
    ("state.ignored", "Ignorado", "Ignored"),
    ("ticket.back", "Volver al mesón", "Back to the board"),
    ("ticket.reply", "Responder", "Reply"),
    ("ticket.note", "Nota interna", "Internal note"),
    ("ticket.send", "Enviar", "Send"),
    ("ticket.send_hint", "Ctrl+Enter para enviar", "Ctrl+Enter to send"),
    ("ticket.reply_placeholder", "Escribe tu respuesta al cliente…", "Write your answer to the client…"),
    ("ticket.close", "Cerrar ticket", "Close ticket"),
    ("ticket.ignore", "Ignorar", "Ignore"),
    ("ticket.reopen", "Reabrir", "Reopen"),
    ("ticket.pin", "Marcar importante", "Mark important"),
    ("ticket.unpin", "Quitar importante", "Unmark important"),
    ("ticket.assign", "Asignar a", "Assign to"),
    ("ticket.assign_me", "Tomar", "Take it"),
    ("ticket.release", "Liberar", "Release"),
    ("ticket.priority", "Prioridad", "Priority"),
    ("ticket.apply", "Aplicar", "Apply"),
    ("ticket.client", "Cliente", "Client"),
    ("ticket.previous", "Tickets anteriores", "Previous tickets"),
    ("ticket.history", "Historial de asignación", "Assignment history"),
    ("ticket.no_history", "Nunca asignado.", "Never assigned."),
    ("ticket.created", "Creado", "Created"),
    ("ticket.waiting", "Esperando", "Waiting"),
    ("ticket.updated", "Actualizado", "Updated"),
    ("ticket.addressed", "Abordado", "Addressed"),
    ("ticket.not_addressed", "No abordado", "Not addressed"),
    ("ticket.account", "Cuenta", "Account"),
    ("ticket.influencer", "Influenciador", "Influencer"),
    ("ticket.empty", "Sin mensajes.", "No messages."),
    ("author.client", "Cliente", "Client"),
    ("author.agent", "Ejecutivo", "Agent"),
    ("author.automatic", "Automático", "Automatic"),
    ("author.note", "Nota interna", "Internal note"),
    ("delivery.pending", "Enviando", "Sending"),
    ("delivery.sent", "Enviado", "Sent"),
    ("delivery.failed", "Falló", "Failed"),
    ("social.public_comment", "Comentario público", "Public comment"),
    ("social.outside", "Hecho fuera de Atiende", "Made outside Atiende"),
    ("social.deleted", "Eliminado en la red", "Deleted on the network"),
    ("social.edited", "Editado en la red", "Edited on the network"),
    ("social.hidden", "Oculto en la red", "Hidden on the network"),
    ("delivery.delivered", "Entregado ✓✓", "Delivered ✓✓"),
    ("delivery.read", "Leído ✓✓", "Read ✓✓"),
    (
        "wa.window_closed",
        "La ventana de 24 horas de WhatsApp se cerró el",
        "WhatsApp's 24-hour window closed on",
    ),
    (
        "wa.window_hint",
        "Fuera de la ventana solo se pueden enviar plantillas aprobadas por Meta; las notas internas siguen disponibles.",
        "Outside the window only templates approved by Meta can be sent; internal notes are still available.",
    ),
    ("wa.new_account", "Nueva cuenta de WhatsApp", "New WhatsApp account"),
    (
        "wa.create_hint",
        "Un número de WhatsApp Business (API de la nube de WhatsApp): sus ids y el token de un usuario del sistema, desde el administrador de WhatsApp de Meta.",
        "A WhatsApp Business number (WhatsApp Cloud API): its ids and a system user's token, from Meta's WhatsApp Manager.",
    ),
    ("wa.phone_number_id", "Id del número de teléfono", "Phone number id"),
    ("wa.business_account_id", "Id de la cuenta de WhatsApp Business", "WhatsApp Business Account id"),
    ("wa.access_token", "Token de acceso", "Access token"),
    ("wa.token_kept", "guardado: deja vacío para mantenerlo", "kept: leave empty to keep it"),
    ("wa.options", "Opciones de WhatsApp", "WhatsApp options"),
    ("wa.connection", "Conexión", "Connection"),
    (
        "wa.webhook_hint",
        "Los mensajes llegan por el webhook de la app de Meta del servidor (campo messages de la cuenta de WhatsApp Business):",
        "Messages arrive through the server's Meta app webhook (the WhatsApp Business Account's messages field):",
    ),
    ("wa.templates", "Plantillas", "Templates"),
    (
        "wa.templates_hint",
        "Las plantillas aprobadas por Meta son lo único que WhatsApp acepta 24 horas después del último mensaje del cliente. Los parámetros se escriben {{1}}, {{2}}…",
        "Templates approved by Meta are all WhatsApp takes 24 hours after the client's last message. Parameters are written {{1}}, {{2}}…",
    ),
    ("wa.template_name", "Nombre", "Name"),
    ("wa.template_language", "Idioma", "Language"),
    ("wa.template_text", "Texto", "Text"),
    ("wa.sync", "Sincronizar desde Meta", "Sync from Meta"),
    ("wa.synced", "Plantillas aprobadas traídas de Meta:", "Approved templates brought from Meta:"),
    ("wa.click_to_chat", "Clic para chatear", "Click to chat"),
    ("wa.ctc_phone", "Número (con código de país)", "Number (with country code)"),
    ("wa.ctc_text", "Texto prellenado", "Prefilled text"),
    ("wa.ctc_link", "Enlace", "Link"),
    ("wa.ctc_snippet", "Código HTML", "HTML code"),
    ("wa.chat_with_us", "Escríbenos por WhatsApp", "Chat with us on WhatsApp"),
    ("facebook.new_account", "Nueva página de Facebook", "New Facebook page"),
    ("instagram.new_account", "Nueva cuenta de Instagram", "New Instagram account"),
    (
        "facebook.create_hint",
        "Mensajes de Messenger y comentarios de las publicaciones de la página, por el webhook de la app de Meta del servidor (campos messages, message_echoes, message_deliveries, message_reads, messaging_postbacks y feed).",
        "Messenger messages and comments on the page's posts, through the server's Meta app webhook (fields messages, message_echoes, message_deliveries, message_reads, messaging_postbacks and feed).",
    ),
    (
        "instagram.create_hint",
        "Mensajes directos y comentarios de una cuenta profesional de Instagram, a través de su página de Facebook vinculada (campos messages y comments).",
        "Direct messages and comments of an Instagram professional account, through its linked Facebook page (fields messages and comments).",
    ),
    ("facebook.page_id", "Id de la página", "Page id"),
    ("instagram.account_id", "Id de la cuenta de Instagram", "Instagram account id"),
    ("facebook.page_token", "Token de acceso de la página", "Page access token"),
    ("facebook.options", "Opciones de Facebook", "Facebook options"),
    ("instagram.options", "Opciones de Instagram", "Instagram options"),
    ("facebook.messaging", "Mensajes privados", "Private messages"),
    (
        "facebook.human_agent_tag",
        "La app tiene el permiso Human Agent (responder hasta 7 días después del último mensaje)",
        "The app has the Human Agent permission (answer up to 7 days after the last message)",
    ),
    (
        "facebook.human_agent_hint",
        "Sin él, Meta solo acepta respuestas dentro de las 24 horas siguientes al último mensaje del cliente; los comentarios públicos no tienen ese límite.",
        "Without it, Meta takes replies only within 24 hours of the client's last message; public comments have no such limit.",
    ),
    (
        "context.tickets_on",
        "Los comentarios de esta publicación crean tickets.",
        "Comments on this post create tickets.",
    ),
    (
        "context.tickets_off",
        "Los comentarios de esta publicación no crean tickets: se guardan como ignorados.",
        "Comments on this post create no tickets: they are kept as ignored.",
    ),
    ("context.turn_off", "Desactivar la creación de tickets", "Turn ticket creation off"),
    ("context.turn_on", "Activar la creación de tickets", "Turn ticket creation on"),
    ("context.view", "Ver contexto", "View context"),
    ("context.title", "Publicación y comentarios", "Post and comments"),
    ("context.back", "Volver al ticket", "Back to the ticket"),
    (
        "context.stored",
        "Meta no respondió: se muestran los comentarios guardados en Atiende.",
        "Meta did not answer: showing the comments kept in Atiende.",
    ),
    ("context.no_text", "(publicación sin texto)", "(a post without text)"),
    ("context.open", "Abrir en la red", "Open on the network"),
    ("nav.publish", "Publicar", "New post"),
    ("publish.title", "Nueva publicación en Facebook", "New Facebook post"),
    ("publish.page", "Página", "Page"),
    ("publish.message", "Texto", "Text"),
    ("publish.send", "Publicar", "Publish"),
    ("publish.done", "Publicado en la página. Id de la publicación:", "Published on the page. Post id:"),
    (
        "publish.none",
        "No hay páginas de Facebook en las que puedas publicar.",
        "There are no Facebook pages you may publish on.",
    ),
    ("wa.send_template", "Enviar plantilla", "Send template"),
    (
        "wa.no_templates",
        "Esta cuenta no tiene plantillas: un administrador puede sincronizarlas desde Meta en las opciones de la cuenta.",
        "This account has no templates: an admin can sync them from Meta in the account's options.",
    ),
    ("profile.title", "Mi perfil", "My profile"),
    ("profile.first_name", "Nombre", "First name"),
    ("profile.last_name", "Apellido", "Last name"),
    ("profile.phone", "Teléfono", "Phone"),
    ("profile.department", "Departamento", "Department"),
    ("profile.language", "Idioma", "Language"),
    ("profile.save", "Guardar", "Save"),
    ("profile.saved", "Perfil guardado.", "Profile saved."),
    ("profile.password", "Cambiar contraseña", "Change password"),
    ("profile.current_password", "Contraseña actual", "Current password"),
    ("profile.new_password", "Nueva contraseña", "New password"),
    ("lang.es", "Español", "Spanish"),
    ("lang.en", "Inglés", "English"),
    ("help.title", "Atajos de teclado", "Keyboard shortcuts"),
    ("help.jk", "Ticket siguiente / anterior en la columna", "Next / previous ticket in the column"),
    ("help.hl", "Columna anterior / siguiente", "Previous / next column"),
    ("help.open", "Abrir el ticket seleccionado", "Open the selected ticket"),
    ("help.reply", "Escribir una respuesta", "Write a reply"),
    ("help.send", "Enviar la respuesta", "Send the reply"),
    ("help.close", "Cerrar el ticket (en el ticket)", "Close the ticket (on a ticket)"),
    ("help.back", "Volver al mesón", "Back to the board"),
    ("help.help", "Mostrar u ocultar esta ayuda", "Show or hide this help"),
    ("help.dismiss", "Cerrar", "Close"),
    ("error.title", "Algo salió mal", "Something went wrong"),
    ("error.not_found", "No existe o no tienes acceso.", "It does not exist or you have no access."),
    ("error.forbidden", "No tienes permiso para esto.", "You are not allowed to do this."),
    (
        "error.csrf",
        "La sesión cambió; recarga la página e intenta de nuevo.",
        "Your session changed; reload the page and try again.",
    ),
    ("status.available", "Disponible", "Available"),
    ("status.break", "Descanso", "Break"),
    ("status.lunch", "Almuerzo", "Lunch"),
    ("status.offline", "Desconectado", "Offline"),
    ("wait.now", "ahora", "now"),
    ("nav.admin", "Administración", "Admin"),
    ("admin.users", "Usuarios", "Users"),
    ("admin.statuses", "Estados de conexión", "Connection statuses"),
    ("admin.assignment", "Asignación", "Assignment"),
    (
        "assign.intro",
        "Quién recibe los tickets de cada cuenta. Deshabilitado: nunca. Habilitado: solo a mano, o al responder un ticket sin asignar. Autoasignación: además, automáticamente, mientras esté en un estado asignable y bajo su tope.",
        "Who receives each account's tickets. Disabled: never. Manual: only by hand, or by answering an unassigned ticket. Auto: automatically too, while in an assignable status and under their cap.",
    ),
    ("assign.agent", "Ejecutivo", "Agent"),
    ("assign.cap", "Tope", "Cap"),
    (
        "assign.cap_help",
        "Máximo de tickets abiertos asignados automáticamente a la vez; vacío: sin tope.",
        "Most open tickets at once for automatic assignment; empty: no cap.",
    ),
    ("assign.queue", "En cola", "Queued"),
    (
        "assign.queue_help",
        "Tickets esperando un ejecutivo disponible, y la espera más larga.",
        "Tickets waiting for an available agent, and the longest wait.",
    ),
    ("assign.whole_column", "Toda la columna…", "Whole column…"),
    ("assign.whole_row", "Toda la fila…", "Whole row…"),
    ("assign.no_accounts", "Aún no hay cuentas.", "No accounts yet."),
    (
        "assign.legend",
        "Los cambios se aplican al guardar; los tickets en cola se asignan enseguida.",
        "Changes apply when saved; queued tickets are assigned right away.",
    ),
    ("assign.arrival_order", "Orden de llegada", "Arrival order"),
    ("assign.awaiting_answer", "Esperando respuesta", "Awaiting answer"),
    ("assign.queued_banner", "En cola para asignación desde hace", "Waiting for assignment for"),
    ("mode.disabled", "Deshabilitado", "Disabled"),
    ("mode.manual", "Habilitado", "Manual"),
    ("mode.auto", "Autoasignación", "Auto"),
    (
        "admin.statuses_intro",
        "Solo los estados asignables reciben tickets automáticamente.",
        "Only assignable statuses receive tickets automatically.",
    ),
    ("admin.accounts", "Cuentas", "Accounts"),
    ("settings.title", "Configuración", "Settings"),
    ("email.options", "Opciones de email", "Email options"),
    ("chat.new_account", "Nueva cuenta de chat web", "New web chat account"),
    ("chat.options", "Opciones de chat", "Chat options"),
    ("chat.domain", "Dominio del sitio", "Site domain"),
    (
        "chat.domain_hint",
        "El chat solo funciona en páginas de este dominio; las demás son rechazadas.",
        "The chat works only on pages of this domain; others are refused.",
    ),
    ("chat.token", "Token del chat", "Chat token"),
    ("chat.embed_code", "Código para insertar", "Embed code"),
    (
        "chat.embed_hint",
        "Péguelo antes de </body> en cada página de su sitio donde quiera el chat.",
        "Paste it before </body> in every page of your site that should have the chat.",
    ),
    (
        "chat.api_hint",
        "Identifica el chat de su sitio. API del chat para clientes propios y apps:",
        "It identifies your site's chat. Chat API for your own clients and apps:",
    ),
    ("chat.chat_name", "Nombre del chat", "Chat name"),
    ("chat.long_button_text", "Texto del botón largo (20 caracteres)", "Long button text (20 characters)"),
    ("chat.main_color", "Color principal", "Main colour"),
    ("chat.text_color", "Color del texto", "Text colour"),
    ("chat.behaviour", "Comportamiento", "Behaviour"),
    ("chat.hide", "Ocultar el chat", "Hide the chat"),
    ("chat.position_left", "Mostrar a la izquierda", "Show on the left"),
    ("chat.long_button", "Botón largo con texto", "Long button with text"),
    (
        "chat.write_as_company",
        "Escribir como la empresa (sin nombres de ejecutivos)",
        "Write as the company (no agent names)",
    ),
    ("chat.sound", "Sonido con cada mensaje nuevo", "Sound on each new message"),
    (
        "chat.anonymous_visitors",
        "Clientes anónimos (cada conversación es un cliente nuevo)",
        "Anonymous visitors (each conversation a new client)",
    ),
    ("chat.email_as_identifier", "El email identifica al cliente", "The email identifies the client"),
    ("chat.ask_name", "Pedir el nombre", "Ask for the name"),
    ("chat.ask_email", "Pedir el email", "Ask for the email"),
    ("chat.ask_rut", "Pedir el RUT (con dígito verificador)", "Ask for the RUT (check digit validated)"),
    ("chat.ask_phone", "Pedir el teléfono (con código de país)", "Ask for the phone (with country code)"),
    ("visitor.title", "Visitante del chat", "Chat visitor"),
    ("visitor.verified", "Identificado por el sitio", "Identified by the site"),
    ("visitor.login_google", "Inició sesión con Google", "Logged in with Google"),
    ("visitor.login_facebook", "Inició sesión con Facebook", "Logged in with Facebook"),
    ("visitor.page", "Página", "Page"),
    ("visitor.browser", "Navegador", "Browser"),
    ("visitor.email", "Email", "Email"),
    ("visitor.rut", "RUT", "RUT"),
    ("visitor.phone", "Teléfono", "Phone"),
    ("chat.seen", "Visto", "Seen"),
    ("chat.typing", "El cliente está escribiendo…", "The client is typing…"),
    ("chat.look", "Apariencia", "Appearance"),
    ("chat.identity", "Clientes identificados por su sitio", "Customers identified by your site"),
    (
        "chat.identity_hint",
        "Su servidor firma el id (y el email) de cada cliente con sesión iniciada y el widget los recibe en data-identity-id, data-identity-email, data-identity-name y data-identity-signature: se les atiende sin formulario y ven su historial. La firma es",
        "Your server signs the id (and email) of each logged-in customer and the widget gets them in data-identity-id, data-identity-email, data-identity-name and data-identity-signature: they are served without a form and see their history. The signature is",
    ),
    ("chat.identity_set", "Secreto configurado", "Secret set"),
    (
        "chat.identity_none",
        "Sin secreto: no se aceptan identidades firmadas.",
        "No secret: signed identities are not taken.",
    ),
    ("chat.identity_new", "Generar un secreto nuevo", "Generate a new secret"),
    ("chat.logo", "Logo del botón de chat", "Chat button logo"),
    ("chat.logo_current", "Logo actual", "Current logo"),
    (
        "chat.logo_none",
        "Sin logo: la burbuja muestra el ícono de chat.",
        "No logo: the bubble shows the chat icon.",
    ),
    ("chat.logo_ideal", "lo ideal es 200×200 px", "200×200 px is ideal"),
    (
        "chat.logo_hint",
        "PNG, JPEG, GIF o WebP de hasta 256 KB; idealmente de 200×200 píxeles.",
        "PNG, JPEG, GIF or WebP up to 256 KB; ideally 200×200 pixels.",
    ),
    ("chat.logo_upload", "Subir imagen", "Upload image"),
    ("chat.logo_remove", "Quitar logo", "Remove logo"),
    ("chat.login_google", "Activar inicio de sesión con Google", "Log in with Google"),
    ("chat.login_facebook", "Activar inicio de sesión con Facebook", "Log in with Facebook"),
    (
        "chat.social_login_only",
        "Solo inicio de sesión con redes sociales (sin nombre y correo)",
        "Social login only (no name and email form)",
    ),
    (
        "chat.login_unconfigured",
        "Este servidor no tiene un cliente de este proveedor configurado: pídelo a su administrador.",
        "This server has no client of this provider configured: ask its administrator.",
    ),
    (
        "chat.login_hint",
        "Dirección de retorno que se registra en Google y Facebook:",
        "Redirect address to register with Google and Facebook:",
    ),
    (
        "chat.identity_once",
        "Cópielo ahora: no se volverá a mostrar. El secreto anterior dejó de valer.",
        "Copy it now: it is not shown again. The previous secret no longer works.",
    ),
    ("chat.visitors", "Visitantes", "Visitors"),
    ("chat.opening", "Apertura y notificaciones", "Opening and notifications"),
    ("chat.welcome", "Mensaje de bienvenida", "Welcome message"),
    ("chat.contact", "Formulario de contacto", "Contact form"),
    (
        "chat.low_contrast",
        "El texto se leerá con dificultad sobre el color principal: su contraste es",
        "The text will be hard to read on the main colour: its contrast is",
    ),
    ("chat.contrast_advice", "se recomienda 4,5:1 o más", "4.5:1 or more is recommended"),
    (
        "chat.anonymous_warning",
        "Con visitantes anónimos el chat empieza sin pedir datos y cada conversación es un cliente nuevo: no hay metadatos, tickets anteriores ni tipificación, y cualquiera puede hacerse pasar por otro.",
        "With anonymous visitors the chat starts without asking anything and each conversation is a new client: no metadata, previous tickets or classification, and anyone can pretend to be someone else.",
    ),
    (
        "chat.identification_message",
        "Mensaje de identificación (sobre el formulario de ingreso)",
        "Identification message (above the entry form)",
    ),
    ("chat.conversation_header", "Cabecera de la conversación", "Conversation header"),
    ("chat.open_on_load", "Abrir el chat al cargar la página", "Open the chat when the page loads"),
    ("chat.open_on_load_delay", "Segundos antes de abrirlo", "Seconds before opening it"),
    ("chat.devices", "En", "On"),
    ("chat.desktop", "computadores", "desktop"),
    ("chat.mobile", "móviles", "mobile"),
    ("chat.reply_from_notification", "Responder desde la notificación", "Reply from the notification"),
    ("chat.notification_messages", "Mensajes que muestra la notificación", "Messages the notification shows"),
    ("chat.welcome_message", "Enviar un mensaje de bienvenida", "Send a welcome message"),
    ("chat.welcome_text", "Texto", "Text"),
    ("chat.welcome_author", "Autor (vacío: el nombre del chat)", "Author (empty: the chat's name)"),
    ("chat.welcome_delay", "Segundos antes de mostrarlo", "Seconds before showing it"),
    ("chat.welcome_repeat_minutes", "Minutos antes de mostrarlo otra vez", "Minutes before showing it again"),
    (
        "chat.welcome_in_started",
        "También en conversaciones ya iniciadas",
        "Also in conversations already started",
    ),
    (
        "chat.contact_form",
        "Mostrar un formulario de contacto cuando no haya agentes en línea",
        "Show a contact form when no agent is online",
    ),
    (
        "chat.contact_hint",
        "Los formularios llegan como tickets a una cuenta de email de Atiende o, si no eliges una, como correo a la dirección indicada. Se requiere una de las dos.",
        "Forms arrive as tickets in an email account of Atiende or, when none is chosen, as mail to the address given. One of the two is required.",
    ),
    ("chat.contact_email", "Enviar a la dirección", "Send to the address"),
    ("chat.contact_account", "O a la cuenta de email", "Or into the email account"),
    ("chat.contact_title", "Título del formulario", "Form title"),
    ("chat.contact_description", "Descripción del formulario", "Form description"),
    ("chat.contact_success", "Mensaje de éxito", "Success message"),
    ("chat.contact_error", "Mensaje de error", "Error message"),
    ("email.address", "Email", "Email address"),
    ("email.connection", "Método de conexión", "Connection method"),
    ("email.forwarding", "Reenvío", "Forwarding"),
    (
        "email.forwarding_intro",
        "Configura en tu proveedor de correo el reenvío de todo el correo entrante a esta dirección; luego valida la cuenta.",
        "Have your mail provider forward all incoming mail to this address, then validate the account.",
    ),
    ("email.copy", "Copiar", "Copy"),
    ("email.host", "Servidor", "Server"),
    ("email.port", "Puerto", "Port"),
    ("email.security", "Cifrado", "Encryption"),
    ("email.security_tls", "SSL/TLS", "SSL/TLS"),
    ("email.security_starttls", "STARTTLS", "STARTTLS"),
    ("email.security_none", "Sin cifrado", "None"),
    ("email.username", "Usuario", "Username"),
    ("email.mailbox", "Carpeta", "Mailbox"),
    ("email.sending", "Método de envío", "Sending method"),
    (
        "email.sending_default",
        "Default (remitente de la plataforma; las respuestas vuelven a tu dirección)",
        "Default (the platform's sender; replies come back to your address)",
    ),
    (
        "email.sending_smtp",
        "SMTP propio (tu dirección como remitente)",
        "Own SMTP (your address as the sender)",
    ),
    ("email.blocked", "Bloquear remitentes", "Blocked senders"),
    (
        "email.contact_forms",
        "Formularios de contacto: leer remitente desde el contenido",
        "Contact forms: read the sender from the content",
    ),
    ("email.signature", "Firma de email", "Email signature"),
    (
        "email.include_chain",
        "Incluir cadena de correos (últimos 10 mensajes)",
        "Include the email chain (last 10 messages)",
    ),
    ("email.test", "Probar conexión", "Test connection"),
    ("email.validate", "Validar", "Validate"),
    ("email.new_account", "Nueva cuenta de email", "New email account"),
    ("email.show_quoted", "Mostrar historial citado", "Show quoted history"),
    ("email.show_html", "Ver correo original", "View original email"),
    ("email.load_images", "Cargar imágenes remotas", "Load remote images"),
    ("email.to", "Para", "To"),
    ("email.cc", "Cc", "Cc"),
    ("email.attachments", "Adjuntos", "Attachments"),
    ("email.attach", "Adjuntar archivos", "Attach files"),
    ("email.not_kept", "no guardado: supera el tamaño máximo", "not kept: over the size limit"),
    ("account.status_active", "Conectada", "Connected"),
    ("account.status_not_validated", "No validada", "Not validated"),
    ("account.status_needs_reconnection", "Requiere reconexión", "Needs reconnection"),
    ("settings.open", "Configuración de la cuenta", "Account settings"),
    ("settings.saved", "Configuración guardada.", "Settings saved."),
    ("held.title", "Mensajes que no se pudieron guardar", "Messages that could not be stored"),
    (
        "held.explain",
        "Llegaron a esta cuenta pero no se pudieron convertir en tickets. Se guardan tal como llegaron: descárguelos, vuelva a intentarlo o elimínelos.",
        "They reached this account but could not become tickets. They are kept as they arrived: download them, try again or delete them.",
    ),
    ("held.received", "Recibido", "Received"),
    ("held.source", "Origen", "Source"),
    ("held.reason", "Motivo", "Reason"),
    ("held.size", "Tamaño", "Size"),
    ("held.actions", "Acciones", "Actions"),
    ("held.download", "Descargar", "Download"),
    ("held.retry", "Reintentar", "Try again"),
    ("held.delete", "Eliminar", "Delete"),
    ("settings.quality", "Calidad de servicio", "Quality of service"),
    (
        "settings.sla_intro",
        "Un ticket que espera respuesta más que este tiempo queda atrasado (rojo). Vacío: sin SLA.",
        "A ticket waiting for an answer longer than this is overdue (red). Empty: no SLA.",
    ),
    ("settings.sla", "Tiempo de respuesta (SLA)", "Response time (SLA)"),
    ("settings.unit", "Unidad", "Unit"),
    ("settings.unit_seconds", "segundos", "seconds"),
    ("settings.unit_minutes", "minutos", "minutes"),
    ("settings.unit_hours", "horas", "hours"),
    ("settings.unit_days", "días", "days"),
    ("settings.actions", "Acciones automáticas", "Automatic actions"),
    (
        "settings.actions_intro",
        "Cada respuesta elige al azar uno de sus textos llenos. Las respuestas a mensajes van solo a mensajes privados, una vez por ticket cada una; si varias aplican se envía una: fuera de horario, luego sin ejecutivo, luego cliente nuevo, luego creación.",
        "Each reply picks one of its filled texts at random. Replies to messages go to private messages only, once per ticket each; when several apply one is sent: out of hours, then no agent, then new client, then creation.",
    ),
    (
        "settings.close_if_no_reply",
        "Cerrar el ticket si el cliente no responde",
        "Close the ticket if the client does not answer",
    ),
    ("settings.after", "Después de", "After"),
    ("settings.new_client", "Responder a clientes nuevos", "Reply to new clients"),
    (
        "settings.no_agent",
        "Responder cuando no hay ejecutivos disponibles",
        "Reply when no agent is available",
    ),
    ("settings.out_of_hours", "Responder fuera del horario laboral", "Reply outside business hours"),
    ("settings.on_creation", "Responder al crear un ticket", "Reply when a ticket is created"),
    ("settings.on_manual_close", "Responder al cerrar manualmente", "Reply on manual close"),
    (
        "settings.on_auto_close",
        "Responder al cerrar automáticamente o por cierre masivo",
        "Reply on automatic or mass close",
    ),
    ("settings.text", "Texto", "Text"),
    ("settings.placeholders", "Marcadores:", "Placeholders:"),
    ("settings.general", "Opciones generales", "General options"),
    (
        "settings.keywords",
        "Marcar como importantes los tickets que contengan (palabras o frases, separadas por comas)",
        "Mark tickets important when they contain (words or phrases, comma-separated)",
    ),
    ("settings.notifications", "Notificaciones de tickets por correo", "Ticket notifications by email"),
    ("settings.notify_off", "Desactivadas", "Off"),
    ("settings.notify_important", "Solo tickets importantes", "Important tickets only"),
    ("settings.notify_all", "Todos los tickets", "All tickets"),
    ("settings.notify_emails", "Correos a notificar", "Addresses to notify"),
    ("settings.create_ignored", "Crear los tickets como ignorados", "Create tickets as ignored"),
    (
        "settings.admins_only_posts",
        "Solo los administradores pueden publicar",
        "Only admins can publish new posts",
    ),
    ("settings.schedule", "Horario laboral", "Business hours"),
    ("settings.always_open", "Sin horario (siempre dentro de horario)", "None (always inside hours)"),
    ("settings.assign_mode", "Modo de asignación", "Assignment mode"),
    (
        "settings.relationship",
        "Priorizar la relación ejecutivo–cliente (30 días)",
        "Prioritize the agent–client relationship (30 days)",
    ),
    ("admin.tokens", "Tokens de API", "API tokens"),
    (
        "admin.tokens_intro",
        "Tus tokens personales para la API (Authorization: Bearer TOKEN). Actúan con tus permisos.",
        "Your personal tokens for the API (Authorization: Bearer TOKEN). They act with your permissions.",
    ),
    (
        "admin.token_once",
        "Copia este token ahora: no se volverá a mostrar.",
        "Copy this token now: it will not be shown again.",
    ),
    ("admin.token_name", "Nombre del token", "Token name"),
    ("admin.create_token", "Crear token", "Create token"),
    ("admin.last_used", "Último uso", "Last used"),
    ("admin.revoke", "Revocar", "Revoke"),
    ("admin.name", "Nombre", "Name"),
    ("admin.roles", "Roles", "Roles"),
    ("admin.active", "Activo", "Active"),
    ("admin.first_user", "primer usuario", "first user"),
    ("admin.deactivate", "Desactivar", "Deactivate"),
    ("admin.activate", "Activar", "Activate"),
    ("admin.new_user", "Nuevo usuario", "New user"),
    ("admin.create", "Crear", "Create"),
    ("admin.assignable", "Asignable", "Assignable"),
    ("admin.new_status", "Nuevo estado", "New status"),
    ("admin.webhook_url", "URL del webhook (respuestas salientes)", "Webhook URL (outbound replies)"),
    (
        "admin.webhook_secret",
        "Secreto del webhook (mín. 16 caracteres)",
        "Webhook secret (16 characters or more)",
    ),
    (
        "admin.secret_kept",
        "guardado; escribe uno nuevo para cambiarlo",
        "stored; type a new one to change it",
    ),
    ("admin.inbound_url", "Mensajes entrantes", "Inbound messages"),
    ("admin.new_api_account", "Nueva cuenta API", "New API account"),
    ("admin.schedules", "Horarios laborales", "Business hours"),
    (
        "admin.schedules_intro",
        "Bloques por día, como 09:00-13:00, 14:00-18:00. Un bloque que termina antes de empezar cruza la medianoche.",
        "Blocks per day, like 09:00-13:00, 14:00-18:00. A block that ends before it starts crosses midnight.",
    ),
    ("admin.new_schedule", "Nuevo horario", "New schedule"),
    ("admin.edit_schedule", "Editar horario", "Edit schedule"),
    ("admin.time_zone", "Zona horaria", "Time zone"),
    ("admin.holidays", "Feriados (AAAA-MM-DD, separados por coma)", "Holidays (YYYY-MM-DD, comma separated)"),
    ("admin.copy_monday", "Copiar el lunes a todos los días", "Copy Monday to every day"),
    ("admin.open_now", "Abierto ahora", "Open now"),
    ("admin.closed_now", "Cerrado ahora", "Closed now"),
    ("admin.next_opening", "Próxima apertura", "Next opening"),
    ("day.mon", "Lunes", "Monday"),
    ("day.tue", "Martes", "Tuesday"),
    ("day.wed", "Miércoles", "Wednesday"),
    ("day.thu", "Jueves", "Thursday"),
    ("day.fri", "Viernes", "Friday"),
    ("day.sat", "Sábado", "Saturday"),
    ("day.sun", "Domingo", "Sunday"),
    ("role.admin", "Administrador", "Admin"),
    ("role.agent", "Ejecutivo", "Agent"),
    ("role.analyst", "Analista", "Analyst"),
];

/// Server validation messages in Spanish (English → Spanish).
const MESSAGES: &[(&str, &str)] = &[
    ("must be 1 to 1000, or empty for no cap", "debe ser de 1 a 1000, o vacío para no tener tope"),
    ("no such agent and account", "no existe ese ejecutivo o cuenta"),
    (
        "automatic: the client's agent in the last 30 days (relationship)",
        "automática: el ejecutivo del cliente en los últimos 30 días (relación)",
    ),
    (
        "automatic: arrival order (longest without a new ticket)",
        "automática: orden de llegada (el que lleva más tiempo sin un ticket nuevo)",
    ),
    (
        "automatic: awaiting answer (fewest tickets awaiting an answer)",
        "automática: esperando respuesta (el que tiene menos tickets por responder)",
    ),
    (
        "queued: no agent has auto-assignment on this account",
        "en cola: ningún ejecutivo tiene autoasignación en esta cuenta",
    ),
    (
        "queued: no active agent has auto-assignment on this account",
        "en cola: ningún ejecutivo activo tiene autoasignación en esta cuenta",
    ),
    (
        "queued: no agent with auto-assignment on this account is in an assignable status",
        "en cola: ningún ejecutivo con autoasignación en esta cuenta está en un estado asignable",
    ),
    (
        "queued: every available agent is at their cap of open tickets",
        "en cola: todos los ejecutivos disponibles están en su tope de tickets abiertos",
    ),
    ("released: the assignee was deactivated", "liberado: el ejecutivo asignado fue desactivado"),
    ("took it by answering", "lo tomó al responder"),
    ("assigned to themself", "se lo asignó"),
    ("assigned by hand", "asignado a mano"),
    ("released by hand", "liberado a mano"),
    ("must not be empty", "no puede estar vacío"),
    ("must be 8 to 256 characters long", "debe tener entre 8 y 256 caracteres"),
    ("must be 16 to 256 characters long", "debe tener entre 16 y 256 caracteres"),
    ("must be an email address like name@example.com", "debe ser un correo como nombre@ejemplo.com"),
    ("must be a date YYYY-MM-DD", "debe ser una fecha AAAA-MM-DD"),
    ("times are HH:MM", "las horas se escriben HH:MM"),
    ("write blocks as HH:MM-HH:MM", "escribe los bloques como HH:MM-HH:MM"),
    (
        "a block must not start and end at the same time",
        "un bloque no puede empezar y terminar a la misma hora",
    ),
    ("a schedule with this name exists", "ya existe un horario con ese nombre"),
    ("must not be before the start of the range", "no puede ser anterior al inicio del rango"),
    ("choose at least one agent", "elige al menos un ejecutivo"),
    ("choose a status", "elige un estado"),
    ("at most 20 tags", "como máximo 20 etiquetas"),
    ("must be 0 to 5", "debe ser de 0 a 5"),
    ("must be an integer from 0 to 5", "debe ser un entero de 0 a 5"),
    ("must start with http:// or https://", "debe empezar con http:// o https://"),
    ("must name a host", "debe indicar un servidor"),
    ("must not contain NUL characters", "no puede contener caracteres NUL"),
    ("no such account in this organization", "no existe esa cuenta en esta organización"),
    ("no such user in this organization", "no existe ese usuario en esta organización"),
    ("no such connection status", "no existe ese estado de conexión"),
    ("only an open ticket can be ignored", "solo un ticket abierto se puede ignorar"),
    ("that user is deactivated", "ese usuario está desactivado"),
    (
        "the client already has an open ticket on this account",
        "el cliente ya tiene un ticket abierto en esta cuenta",
    ),
    ("the current password is not right", "la contraseña actual no es correcta"),
    (
        "the first user of an organization cannot be deactivated",
        "el primer usuario de una organización no se puede desactivar",
    ),
    (
        "the first user of an organization stays an admin",
        "el primer usuario de una organización sigue siendo administrador",
    ),
    ("the ticket is closed; reopen it to reply", "el ticket está cerrado; reábrelo para responder"),
    ("this email address is already used by a user", "este correo ya lo usa otro usuario"),
    ("a connection status with this name exists", "ya existe un estado de conexión con ese nombre"),
    ("a board holds at most 12 columns", "un mesón tiene como máximo 12 columnas"),
];

/// Messages with a variable end (English prefix → Spanish prefix).
const MESSAGE_PREFIXES: &[(&str, &str)] = &[
    ("must be at most ", "debe tener como máximo "),
    ("must be one of: ", "debe ser uno de: "),
    ("must be a whole number of at least 1", "debe ser un número entero de al menos 1"),
    ("the SLA must be at most 30 days", "el SLA puede ser de 30 días como máximo"),
    ("is not a valid URL", "no es una URL válida"),
    (
        "must be an IANA time zone like America/Santiago",
        "debe ser una zona horaria IANA como America/Santiago",
    ),
];

/// The language a page speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Language);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, es, en)) => match self.0 {
                Language::Es => es,
                Language::En => en,
            },
            None => {
                tracing::error!(key, "missing UI text");
                "⟦missing text⟧"
            }
        }
    }
    /// A translation when the key exists, else `fallback` (names stored by users).
    pub fn t_or<'a>(&self, key: &str, fallback: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, es, en)) => match self.0 {
                Language::Es => es,
                Language::En => en,
            },
            None => fallback,
        }
    }
    /// A validation message of the server (written in English) in the page's language.
    /// Unknown messages stay in English.
    pub fn msg(&self, english: &str) -> String {
        if self.0 == Language::En {
            return english.to_string();
        }
        if let Some((_, es)) = MESSAGES.iter().find(|(en, _)| *en == english) {
            return es.to_string();
        }
        for (prefix, es) in MESSAGE_PREFIXES {
            if let Some(rest) = english.strip_prefix(prefix) {
                return format!("{es}{rest}").replace(" characters", " caracteres");
            }
        }
        english.to_string()
    }
    pub fn code(&self) -> &'static str {
        self.0.as_str()
    }
    /// Picks a language from `Accept-Language` (Spanish unless English comes first).
    pub fn from_accept(header: Option<&str>) -> Tr {
        let first = header.unwrap_or("").split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        Tr(if first.starts_with("en") { Language::En } else { Language::Es })
    }
    /// "5 min", "2 h", "3 d": a waiting time.
    pub fn elapsed(&self, micros: i64) -> String {
        let s = micros / 1_000_000;
        if s < 60 {
            self.t("wait.now").to_string()
        } else if s < 3600 {
            format!("{} min", s / 60)
        } else if s < 86_400 {
            format!("{} h", s / 3600)
        } else {
            format!("{} d", s / 86_400)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_filled() {
        let mut keys: Vec<_> = TEXTS.iter().map(|t| t.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        assert!(TEXTS.iter().all(|(_, es, en)| !es.is_empty() && !en.is_empty()));
        assert_eq!(Tr(Language::En).t("nav.board"), "Board");
        assert_eq!(Tr(Language::Es).t("nav.board"), "Mesón");
        assert_eq!(Tr(Language::Es).t("nope"), "⟦missing text⟧");
        assert_eq!(Tr::from_accept(Some("en-US,es;q=0.5")).0, Language::En);
        assert_eq!(Tr::from_accept(None).0, Language::Es);
        assert_eq!(Tr(Language::En).elapsed(7_200_000_000), "2 h");
        assert_eq!(Tr(Language::Es).msg("must not be empty"), "no puede estar vacío");
        assert_eq!(
            Tr(Language::Es).msg("must be at most 60 characters"),
            "debe tener como máximo 60 caracteres"
        );
        assert_eq!(Tr(Language::En).msg("must not be empty"), "must not be empty");
        assert_eq!(Tr(Language::Es).msg("something new"), "something new");
    }
}
