//! The mapping table: which lead field each column of a real export fills,
//! per tool (Apollo, HubSpot, Salesforce, Clay, Apify, lemlist, Instantly),
//! and how a file's header row tells which tool wrote it.
//!
//! Headers are compared in a normal form: lower case, letters and digits
//! only ("Work Direct Phone" → `workdirectphone`, "# Employees" →
//! `employees`, "State/Region" → `stateregion`), so case, spacing,
//! punctuation and camelCase (`firstName`) do not matter. A tool's own table
//! is read first (in a Google Maps export `title` is the business name and
//! `phone` the business's number), then the generic table every file shares.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A lead field a column can fill. Person and company values are kept apart
/// where tools export both (phones, locations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Email,
    FirstName,
    LastName,
    FullName,
    Title,
    /// A LinkedIn headline: the title when no job title is given.
    Headline,
    Seniority,
    EmailStatus,
    /// HubSpot lifecycle stage, Salesforce account type, a CRM's contact stage.
    LifecycleStage,
    /// A CRM's lead status ("Open Deal", "Closed - Converted"): read like a
    /// stage when no stage column exists.
    LeadStatus,
    Company,
    Website,
    /// The person's phone when the tool does not say which kind.
    Phone,
    /// The person's own direct line.
    DirectPhone,
    MobilePhone,
    OtherPhone,
    /// The company's switchboard or corporate number: never the person's.
    CompanyPhone,
    Linkedin,
    City,
    State,
    Country,
    /// Free text such as "Austin, Texas, United States".
    Location,
    CompanyCity,
    CompanyState,
    CompanyCountry,
    /// The company's location as free text ("Austin, TX, US").
    CompanyLocation,
    Industry,
    Employees,
    Rating,
    Reviews,
    Gbp,
    /// Google Maps' "claim this business" link: true when NOT claimed.
    Unclaimed,
    ResponseRate,
    HqTimezone,
    /// When the lead takes calls, local time (`10:00-16:00`).
    CallHours,
    Notes,
    PlaceId,
    PermanentlyClosed,
    TemporarilyClosed,
    /// Places API `businessStatus`: OPERATIONAL, CLOSED_TEMPORARILY, CLOSED_PERMANENTLY.
    BusinessStatus,
    /// Apollo's "Do Not Call": the person's numbers must not be dialled.
    DoNotCall,
}

impl Field {
    pub const COUNT: usize = Field::DoNotCall as usize + 1;

    /// The lead field's name, as reports and errors say it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::FullName => "name",
            Field::Title => "title",
            Field::Headline => "headline",
            Field::Seniority => "seniority",
            Field::EmailStatus => "email_status",
            Field::LifecycleStage => "lifecycle_stage",
            Field::LeadStatus => "lead_status",
            Field::Company => "company",
            Field::Website => "website",
            Field::Phone => "phone",
            Field::DirectPhone => "direct_phone",
            Field::MobilePhone => "mobile_phone",
            Field::OtherPhone => "other_phone",
            Field::CompanyPhone => "company_phone",
            Field::Linkedin => "linkedin_url",
            Field::City => "city",
            Field::State => "state",
            Field::Country => "country",
            Field::Location => "location",
            Field::CompanyCity => "company_city",
            Field::CompanyState => "company_state",
            Field::CompanyCountry => "company_country",
            Field::CompanyLocation => "company_location",
            Field::Industry => "industry",
            Field::Employees => "employees",
            Field::Rating => "rating",
            Field::Reviews => "reviews",
            Field::Gbp => "gbp",
            Field::Unclaimed => "claim_this_business",
            Field::ResponseRate => "review_response_rate",
            Field::HqTimezone => "hq_timezone",
            Field::CallHours => "call_hours",
            Field::Notes => "notes",
            Field::PlaceId => "place_id",
            Field::PermanentlyClosed => "permanently_closed",
            Field::TemporarilyClosed => "temporarily_closed",
            Field::BusinessStatus => "business_status",
            Field::DoNotCall => "do_not_call",
        }
    }

    /// Fields that can identify a lead on their own or with another.
    pub fn identifies(self) -> bool {
        matches!(
            self,
            Field::Email
                | Field::Website
                | Field::Phone
                | Field::DirectPhone
                | Field::MobilePhone
                | Field::CompanyPhone
                | Field::Linkedin
                | Field::PlaceId
        )
    }
}

/// The tool that wrote a file, told from its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    ApolloPeople,
    ApolloCompanies,
    HubspotContacts,
    HubspotCompanies,
    Salesforce,
    Clay,
    ApifyGoogleMaps,
    ApifyLinkedin,
    Lemlist,
    Instantly,
    Generic,
}

impl Tool {
    pub fn label(self) -> &'static str {
        match self {
            Tool::ApolloPeople => "Apollo people export",
            Tool::ApolloCompanies => "Apollo companies export",
            Tool::HubspotContacts => "HubSpot contacts export",
            Tool::HubspotCompanies => "HubSpot companies export",
            Tool::Salesforce => "Salesforce report export",
            Tool::Clay => "Clay table export",
            Tool::ApifyGoogleMaps => "Apify Google Maps scraper export",
            Tool::ApifyLinkedin => "Apify LinkedIn scraper export",
            Tool::Lemlist => "lemlist leads export",
            Tool::Instantly => "Instantly leads export",
            Tool::Generic => "generic CSV",
        }
    }

    /// The tool whose signature columns the header row carries. Signatures
    /// are columns only that tool writes (an Apollo id, HubSpot's
    /// `Record ID` with `Lifecycle Stage`, a place id, ...).
    pub fn detect(headers: &[String]) -> Tool {
        let has = |k: &str| headers.iter().any(|h| h == k);
        let any = |ks: &[&str]| ks.iter().any(|k| has(k));
        let person = any(&[
            "email",
            "firstname",
            "lastname",
            "workemail",
            "emailaddress",
        ]);
        if any(&[
            "placeid",
            "totalscore",
            "claimthisbusiness",
            "permanentlyclosed",
        ]) || (has("categoryname") && has("reviewscount"))
        {
            Tool::ApifyGoogleMaps
        } else if has("apollocontactid")
            || (person && any(&["companynameforemails", "primaryemailsource"]))
        {
            Tool::ApolloPeople
        } else if any(&["apolloaccountid", "companynameforemails"])
            || (has("companylinkedinurl") && !person && has("employees"))
        {
            Tool::ApolloCompanies
        } else if has("recordid") && person {
            Tool::HubspotContacts
        } else if has("recordid") && any(&["companydomainname", "companyname", "name"]) {
            Tool::HubspotCompanies
        } else if any(&[
            "mailingstateprovince",
            "mailingcountry",
            "accountname",
            "leadsource",
            "contactid",
            "leadid",
            "companyaccount",
            "leadowner",
            "mailingcity",
        ]) {
            Tool::Salesforce
        } else if any(&["lemlistid", "icebreaker", "campaignid"])
            || has("picture") && has("companyname")
        {
            Tool::Lemlist
        } else if any(&["personalization", "leadstatus"]) && has("email") && has("website") {
            Tool::Instantly
        } else if any(&[
            "headline",
            "publicidentifier",
            "addresswithcountry",
            "linkedinprofileurl",
        ]) && any(&["linkedinurl", "profileurl", "linkedinprofileurl", "url"])
        {
            Tool::ApifyLinkedin
        } else if any(&["linkedinprofile", "companydomain", "fullname"])
            && any(&["workemail", "email", "linkedinprofile"])
        {
            Tool::Clay
        } else {
            Tool::Generic
        }
    }
}

/// The normal form headers are compared in.
pub fn normal_header(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a column fills in a file written by `tool`, if any.
pub fn field_for(tool: Tool, header: &str) -> Option<Field> {
    let h = normal_header(header);
    match TOOL_TABLES.get(&(tool, h.as_str())) {
        Some(field) => *field,
        None => GENERIC_TABLE.get(h.as_str()).copied(),
    }
}

/// Columns every tool shares.
const GENERIC: &[(Field, &[&str])] = &[
    (
        Field::Email,
        &[
            "email",
            "emailaddress",
            "workemail",
            "businessemail",
            "primaryemail",
            "contactemail",
            "mail",
            "emails",
            "emails0",
            "email1",
        ],
    ),
    (
        Field::FirstName,
        &["firstname", "first", "givenname", "fname"],
    ),
    (
        Field::LastName,
        &["lastname", "last", "surname", "familyname", "lname"],
    ),
    (
        Field::FullName,
        &[
            "name",
            "fullname",
            "contactname",
            "personname",
            "contact",
            "leadname",
        ],
    ),
    (
        Field::Title,
        &[
            "title",
            "jobtitle",
            "position",
            "role",
            "currentjobtitle",
            "occupation",
        ],
    ),
    (Field::Headline, &["headline", "linkedinheadline"]),
    (Field::Seniority, &["seniority", "senioritylevel", "level"]),
    (
        Field::EmailStatus,
        &[
            "emailstatus",
            "emailverification",
            "emailverified",
            "emailvalidation",
            "emailverificationstatus",
            "verificationstatus",
        ],
    ),
    (
        Field::LifecycleStage,
        &[
            "lifecyclestage",
            "stage",
            "contactstage",
            "accountstage",
            "accounttype",
            "customerstatus",
        ],
    ),
    (
        Field::LeadStatus,
        &["leadstatus", "status", "laststate", "intereststatus"],
    ),
    (
        Field::Company,
        &[
            "company",
            "companyname",
            "organization",
            "organisation",
            "organizationname",
            "account",
            "accountname",
            "business",
            "businessname",
            "employer",
            "currentcompany",
            "companyaccount",
        ],
    ),
    (
        Field::Website,
        &[
            "website",
            "websiteurl",
            "companywebsite",
            "companydomain",
            "companydomainname",
            "domain",
            "companyurl",
            "homepage",
            "web",
            "site",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "phonenumber",
            "telephone",
            "tel",
            "workphone",
            "businessphone",
            "contactphone",
            "phone1",
            "firstphone",
        ],
    ),
    (
        Field::DirectPhone,
        &[
            "directphone",
            "workdirectphone",
            "directdial",
            "directline",
            "directnumber",
        ],
    ),
    (
        Field::MobilePhone,
        &[
            "mobile",
            "mobilephone",
            "mobilephonenumber",
            "mobilenumber",
            "cell",
            "cellphone",
            "mobileno",
        ],
    ),
    (
        Field::OtherPhone,
        &["otherphone", "phone2", "alternatephone"],
    ),
    (
        Field::CompanyPhone,
        &[
            "companyphone",
            "corporatephone",
            "companyphonenumber",
            "hqphone",
            "mainphone",
            "switchboard",
            "accountphone",
            "organizationphone",
            "officephone",
        ],
    ),
    (
        Field::Linkedin,
        &[
            "linkedin",
            "linkedinurl",
            "linkedinprofile",
            "linkedinprofileurl",
            "personlinkedinurl",
            "profileurl",
        ],
    ),
    (
        Field::City,
        &["city", "town", "locality", "mailingcity", "personcity"],
    ),
    (
        Field::State,
        &[
            "state",
            "region",
            "province",
            "stateprovince",
            "stateregion",
            "statecode",
            "mailingstateprovince",
            "personstate",
        ],
    ),
    (
        Field::Country,
        &[
            "country",
            "countrycode",
            "countryregion",
            "countryname",
            "mailingcountry",
            "personcountry",
        ],
    ),
    (
        Field::Location,
        &[
            "location",
            "address",
            "addresswithcountry",
            "personlocation",
            "geo",
        ],
    ),
    (
        Field::CompanyCity,
        &[
            "companycity",
            "hqcity",
            "accountcity",
            "billingcity",
            "organizationcity",
        ],
    ),
    (
        Field::CompanyState,
        &[
            "companystate",
            "hqstate",
            "billingstateprovince",
            "companystateregion",
            "organizationstate",
        ],
    ),
    (
        Field::CompanyCountry,
        &[
            "companycountry",
            "hqcountry",
            "billingcountry",
            "companycountryregion",
            "organizationcountry",
        ],
    ),
    (
        Field::CompanyLocation,
        &[
            "companylocation",
            "companyaddress",
            "hqlocation",
            "companyheadquarters",
        ],
    ),
    (
        Field::Industry,
        &[
            "industry",
            "category",
            "vertical",
            "categoryname",
            "companyindustry",
            "organizationindustry",
        ],
    ),
    (
        Field::Employees,
        &[
            "employees",
            "employeecount",
            "companysize",
            "headcount",
            "numberofemployees",
            "estimatednumemployees",
            "companyheadcount",
            "companyemployeecount",
            "employeesrange",
        ],
    ),
    (
        Field::Rating,
        &[
            "rating",
            "googlerating",
            "totalscore",
            "reviewscore",
            "averagerating",
        ],
    ),
    (
        Field::Reviews,
        &[
            "reviews",
            "reviewcount",
            "reviewscount",
            "numberofreviews",
            "userratingcount",
        ],
    ),
    (
        Field::Gbp,
        &[
            "gbp",
            "gbpclaimed",
            "claimed",
            "hasgbp",
            "claimedprofile",
            "isclaimed",
        ],
    ),
    (Field::Unclaimed, &["claimthisbusiness"]),
    (
        Field::ResponseRate,
        &["reviewresponserate", "responserate", "ownerresponserate"],
    ),
    (Field::HqTimezone, &["timezone", "hqtimezone", "tz"]),
    (
        Field::CallHours,
        &["callhours", "besttimetocall", "callwindow", "callinghours"],
    ),
    (Field::Notes, &["notes", "note", "tech", "technologies"]),
    (Field::PlaceId, &["placeid", "googleplaceid"]),
    (Field::PermanentlyClosed, &["permanentlyclosed"]),
    (Field::TemporarilyClosed, &["temporarilyclosed"]),
    (Field::BusinessStatus, &["businessstatus"]),
    (Field::DoNotCall, &["donotcall", "dnc", "donotcallflag"]),
];

/// What one tool means by a column that others mean differently; `None`
/// marks a column deliberately not read there even though its name looks
/// like a lead field (a Google Maps `url` is the listing, not a website).
const PER_TOOL: &[(Tool, Option<Field>, &[&str])] = &[
    // A Google Maps listing is a business: its title is the business name,
    // its phone the business's line.
    (
        Tool::ApifyGoogleMaps,
        Some(Field::Company),
        &["title", "name"],
    ),
    (
        Tool::ApifyGoogleMaps,
        Some(Field::CompanyPhone),
        &["phone", "phoneunformatted", "phonenumber"],
    ),
    (
        Tool::ApifyGoogleMaps,
        Some(Field::Industry),
        &["categories0"],
    ),
    (
        Tool::ApifyGoogleMaps,
        Some(Field::CompanyLocation),
        &["address"],
    ),
    // Company exports describe the company: their phone is its switchboard.
    (
        Tool::ApolloCompanies,
        Some(Field::Company),
        &["name", "company", "companyname"],
    ),
    (
        Tool::ApolloCompanies,
        Some(Field::CompanyPhone),
        &["phone", "companyphone", "phonenumber"],
    ),
    (
        Tool::ApolloCompanies,
        Some(Field::CompanyCity),
        &["city", "companycity"],
    ),
    (
        Tool::ApolloCompanies,
        Some(Field::CompanyState),
        &["state", "companystate"],
    ),
    (
        Tool::ApolloCompanies,
        Some(Field::CompanyCountry),
        &["country", "companycountry"],
    ),
    (
        Tool::HubspotCompanies,
        Some(Field::Company),
        &["companyname", "name"],
    ),
    (
        Tool::HubspotCompanies,
        Some(Field::CompanyPhone),
        &["phonenumber", "phone"],
    ),
    (Tool::HubspotCompanies, Some(Field::CompanyCity), &["city"]),
    (
        Tool::HubspotCompanies,
        Some(Field::CompanyState),
        &["stateregion", "state"],
    ),
    (
        Tool::HubspotCompanies,
        Some(Field::CompanyCountry),
        &["countryregion", "country"],
    ),
    // Apollo's person location is where the person is; "Company City" etc.
    // are the HQ (generic table). Its "Stage" is Apollo's contact stage.
    (
        Tool::ApolloPeople,
        Some(Field::LifecycleStage),
        &["stage", "contactstage"],
    ),
    // Salesforce: "Type" on an account is Customer / Prospect / Partner.
    (
        Tool::Salesforce,
        Some(Field::LifecycleStage),
        &["type", "accounttype"],
    ),
    (
        Tool::Salesforce,
        Some(Field::Company),
        &["accountname", "company", "companyaccount"],
    ),
    // LinkedIn scrapers: `url`/`profileUrl` is the profile; a company
    // website comes as companyWebsite.
    (
        Tool::ApifyLinkedin,
        Some(Field::Linkedin),
        &["url", "profileurl", "linkedinurl"],
    ),
    (
        Tool::ApifyLinkedin,
        Some(Field::Title),
        &["jobtitle", "occupation", "position"],
    ),
    (
        Tool::ApifyLinkedin,
        Some(Field::Location),
        &["addresswithcountry", "location"],
    ),
    (
        Tool::ApifyLinkedin,
        Some(Field::Country),
        &["addresscountryonly"],
    ),
    // Salesforce's lead Rating is Hot / Warm / Cold, not stars.
    (Tool::Salesforce, None, &["rating"]),
    // The Google Maps link of a listing, never the business's website.
    (Tool::ApifyGoogleMaps, None, &["url", "searchpageurl"]),
    (
        Tool::ApifyGoogleMaps,
        Some(Field::CompanyPhone),
        &["phones0"],
    ),
];

static GENERIC_TABLE: LazyLock<HashMap<&'static str, Field>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (field, names) in GENERIC {
        for name in *names {
            map.entry(*name).or_insert(*field);
        }
    }
    map
});

static TOOL_TABLES: LazyLock<HashMap<(Tool, &'static str), Option<Field>>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (tool, field, names) in PER_TOOL {
        for name in *names {
            map.entry((*tool, *name)).or_insert(*field);
        }
    }
    map
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_headers_in_any_spelling_when_normalised_then_they_map_alike() {
        for h in [
            "First Name",
            "first_name",
            "firstName",
            "FIRST-NAME",
            "\u{feff}First Name",
        ] {
            assert_eq!(field_for(Tool::Generic, h), Some(Field::FirstName), "{h}");
        }
        assert_eq!(
            field_for(Tool::Generic, "# Employees"),
            Some(Field::Employees)
        );
        assert_eq!(field_for(Tool::Generic, "State/Region"), Some(Field::State));
        assert_eq!(
            field_for(Tool::Generic, "Country/Region"),
            Some(Field::Country)
        );
        assert_eq!(field_for(Tool::Generic, "Favourite colour"), None);
    }

    #[test]
    fn given_a_tool_when_a_column_means_something_else_there_then_its_table_wins() {
        assert_eq!(field_for(Tool::Generic, "title"), Some(Field::Title));
        assert_eq!(
            field_for(Tool::ApifyGoogleMaps, "title"),
            Some(Field::Company)
        );
        assert_eq!(field_for(Tool::Generic, "phone"), Some(Field::Phone));
        assert_eq!(
            field_for(Tool::ApifyGoogleMaps, "phone"),
            Some(Field::CompanyPhone)
        );
        assert_eq!(
            field_for(Tool::HubspotCompanies, "Phone Number"),
            Some(Field::CompanyPhone)
        );
        assert_eq!(field_for(Tool::Generic, "url"), None);
    }

    #[test]
    fn every_field_has_a_distinct_name() {
        let names: std::collections::HashSet<_> = GENERIC.iter().map(|(f, _)| f.name()).collect();
        assert_eq!(names.len(), GENERIC.len());
    }
}
