//! Every fixed text of the console, in Dutch and English (docs/architecture.md, "Console").
//! The labels of states and transitions are not here: they come from the workflow definitions
//! (`label_nl`, `label_en`), and the sentences of refusals from the rule registry
//! (`domain/workflow/rules.rs`), so that each is written once.

use crate::domain::session::Language;

/// A fixed text of the console.
#[derive(Debug, Clone, Copy)]
pub enum T {
    AppName,
    SkipLink,
    SignIn,
    SignInIntro,
    Token,
    TokenHint,
    SignOut,
    SignedInAs,
    Cases,
    Kind,
    State,
    Department,
    DepartmentHint,
    Any,
    Filter,
    Title,
    Id,
    Updated,
    Due,
    NextPage,
    NoCases,
    Details,
    Description,
    Assignee,
    History,
    Transitions,
    OpenTransitions,
    ClosedTransitions,
    NoTransitions,
    OnlyRoles,
    Comment,
    AddComment,
    CommentOptional,
    Refused,
    RuleId,
    NotAllowed,
    SessionEnded,
    BadRequest,
    Switch,
    Changed,
    Nav,
    None,
    LinkIntro,
    LinkRefused,
    SignInWithToken,
    MyWork,
    MyWorkIntro,
    MyWorkCaption,
    Counts,
    InTotal,
    Overdue,
    DueSoon,
    AssignedToYou,
    AwaitingAction,
    PerKind,
    NothingAwaits,
    Why,
    YouCan,
    NoDueDate,
}

/// The text `t` in `language`.
pub fn t(language: Language, t: T) -> &'static str {
    let (nl, en) = match t {
        T::AppName => ("Regie", "Regie"),
        T::SkipLink => ("Naar de inhoud", "Skip to content"),
        T::SignIn => ("Aanmelden", "Sign in"),
        T::SignInIntro => (
            "Meld u aan met uw API-token. U krijgt dat van de beheerder.",
            "Sign in with your API token. Your administrator gives it to you.",
        ),
        T::Token => ("API-token", "API token"),
        T::TokenHint => (
            "Begint met regie_. Het token staat daarna niet in de adresbalk.",
            "Starts with regie_. It never appears in the address bar.",
        ),
        T::SignOut => ("Afmelden", "Sign out"),
        T::SignedInAs => ("Aangemeld als", "Signed in as"),
        T::Cases => ("Zaken", "Cases"),
        T::Kind => ("Soort", "Kind"),
        T::State => ("Status", "State"),
        T::Department => ("Departement", "Department"),
        T::DepartmentHint => ("De code, bijvoorbeeld JenV.", "The code, for example JenV."),
        T::Any => ("Alle", "Any"),
        T::Filter => ("Filteren", "Filter"),
        T::Title => ("Titel", "Title"),
        T::Id => ("Kenmerk", "Id"),
        T::Updated => ("Gewijzigd", "Updated"),
        T::Due => ("Uiterlijk", "Due"),
        T::NextPage => ("Volgende pagina", "Next page"),
        T::NoCases => ("Geen zaken gevonden.", "No cases found."),
        T::Details => ("Gegevens", "Details"),
        T::Description => ("Omschrijving", "Description"),
        T::Assignee => ("Behandelaar", "Assignee"),
        T::History => ("Geschiedenis", "History"),
        T::Transitions => ("Vervolgstappen", "Next steps"),
        T::OpenTransitions => ("Wat u nu kunt doen", "What you can do now"),
        T::ClosedTransitions => ("Nog niet mogelijk", "Not possible yet"),
        T::NoTransitions => ("Geen vervolgstappen.", "No next steps."),
        T::OnlyRoles => ("Alleen voor de rol", "Only for the role"),
        T::Comment => ("Opmerking", "Comment"),
        T::AddComment => ("Opmerking plaatsen", "Add comment"),
        T::CommentOptional => (
            "Toelichting (soms verplicht)",
            "Explanation (sometimes required)",
        ),
        T::Refused => ("Dit kan niet", "This is not possible"),
        T::RuleId => ("Regel", "Rule"),
        T::NotAllowed => ("Geen toegang", "No access"),
        T::SessionEnded => (
            "Uw sessie is beëindigd. Meld u opnieuw aan.",
            "Your session has ended. Please sign in again.",
        ),
        T::BadRequest => ("Ongeldig verzoek", "Invalid request"),
        T::Switch => ("English", "Nederlands"),
        T::Changed => ("Gewijzigd door", "Changed by"),
        T::Nav => ("Hoofdmenu", "Main menu"),
        T::None => ("geen", "none"),
        T::LinkIntro => (
            "U opent een persoonlijke aanmeldlink. Deze werkt één keer en is 15 minuten geldig.",
            "You opened a personal sign-in link. It works once and is valid for 15 minutes.",
        ),
        T::LinkRefused => (
            "Deze aanmeldlink werkt niet: hij is al gebruikt, verlopen of bestaat niet. \
             Vraag de beheerder om een nieuwe link.",
            "This sign-in link does not work: it was used, it expired or it never existed. \
             Ask your administrator for a new one.",
        ),
        T::SignInWithToken => ("Aanmelden met een API-token", "Sign in with an API token"),
        T::MyWork => ("Mijn werk", "My work"),
        T::MyWorkIntro => (
            "Alles wat op een actie van u wacht: zaken die aan u zijn toegewezen en zaken van uw \
             organisatie waarin u een vervolgstap kunt zetten. Te laat en binnenkort eerst.",
            "Everything that awaits your action: cases assigned to you and cases of your \
             organisation where you can take a next step. Overdue and due soon first.",
        ),
        T::MyWorkCaption => ("Zaken die op u wachten", "Cases awaiting you"),
        T::Counts => ("Overzicht", "Summary"),
        T::InTotal => ("in totaal", "in total"),
        T::Overdue => ("te laat", "overdue"),
        T::DueSoon => ("binnenkort", "due soon"),
        T::AssignedToYou => ("aan u toegewezen", "assigned to you"),
        T::AwaitingAction => ("wachten op een stap van u", "awaiting a step of yours"),
        T::PerKind => ("Per soort", "Per kind"),
        T::NothingAwaits => ("Er wacht nu niets op u.", "Nothing awaits you now."),
        T::Why => ("Waarom", "Why"),
        T::YouCan => ("U kunt:", "You can:"),
        T::NoDueDate => ("geen termijn", "no due date"),
    };
    match language {
        Language::Nl => nl,
        Language::En => en,
    }
}

/// A label in `language` from a Dutch and an English one (a state's, a transition's, a
/// rule's sentence).
pub fn pick<'a>(language: Language, nl: &'a str, en: &'a str) -> &'a str {
    match language {
        Language::Nl if !nl.is_empty() => nl,
        _ if !en.is_empty() => en,
        _ => nl,
    }
}

/// The name of a kind of case.
pub fn kind(language: Language, kind: &str) -> String {
    let (nl, en) = match kind {
        "work_item" => ("Werkitem", "Work item"),
        "recommendation" => ("Aanbeveling", "Recommendation"),
        "framework" => ("Kader", "Framework"),
        "risk_analysis" => ("Risicoanalyse", "Risk analysis"),
        "assessment_cycle" => ("Toetsingscyclus", "Assessment cycle"),
        other => return other.to_owned(),
    };
    pick(language, nl, en).to_owned()
}
