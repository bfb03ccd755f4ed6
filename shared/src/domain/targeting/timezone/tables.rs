//! The static tables time-zone resolution reads: US states, Canadian
//! provinces, Australian states, countries, and NANP area codes, each with
//! its zone and the reason for every split choice.

use super::{CountryEntry, RegionEntry};
use chrono_tz::{Africa, America, Asia, Atlantic, Australia, Europe, Pacific, Tz};

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

pub(super) const fn region(
    code: &'static str,
    names: &'static [&'static str],
    tz: Tz,
) -> RegionEntry {
    RegionEntry { code, names, tz }
}

/// US states, DC, Puerto Rico and the populated territories. Split states, by population:
/// - Alaska: America/Anchorage (the western Aleutians keep Hawaii-Aleutian time).
/// - Arizona: America/Phoenix, no DST (the Navajo Nation observes DST; it is a minority).
/// - Florida: America/New_York (the western panhandle is Central).
/// - Idaho: America/Boise, Mountain (the northern panhandle is Pacific).
/// - Indiana: America/Indiana/Indianapolis (the north-west, Gary, and south-west, Evansville,
///   corners are Central).
/// - Kansas, Nebraska, North Dakota, South Dakota: America/Chicago (their western parts are
///   Mountain; in South Dakota that includes Rapid City).
/// - Kentucky: America/New_York (the western half, Bowling Green and Paducah, is Central).
/// - Michigan: America/Detroit (four Upper Peninsula counties are Central).
/// - Oregon: America/Los_Angeles (most of Malheur County is Mountain).
/// - Tennessee: America/Chicago (East Tennessee, Knoxville and Chattanooga, is Eastern).
/// - Texas: America/Chicago (El Paso and Hudspeth counties are Mountain).
/// - Nevada: America/Los_Angeles (West Wendover is Mountain).
pub(super) const US_STATES: &[RegionEntry] = &[
    region("al", &["alabama"], America::Chicago),
    region("ak", &["alaska"], America::Anchorage),
    region("az", &["arizona"], America::Phoenix),
    region("ar", &["arkansas"], America::Chicago),
    region("ca", &["california"], America::Los_Angeles),
    region("co", &["colorado"], America::Denver),
    region("ct", &["connecticut"], America::New_York),
    region("de", &["delaware"], America::New_York),
    region(
        "dc",
        &["district of columbia", "washington dc", "washington d c"],
        America::New_York,
    ),
    region("fl", &["florida"], America::New_York),
    region("ga", &["georgia"], America::New_York),
    region("hi", &["hawaii", "hawai'i", "hawaiʻi"], Pacific::Honolulu),
    region("id", &["idaho"], America::Boise),
    region("il", &["illinois"], America::Chicago),
    region("in", &["indiana"], America::Indiana::Indianapolis),
    region("ia", &["iowa"], America::Chicago),
    region("ks", &["kansas"], America::Chicago),
    region("ky", &["kentucky"], America::New_York),
    region("la", &["louisiana"], America::Chicago),
    region("me", &["maine"], America::New_York),
    region("md", &["maryland"], America::New_York),
    region("ma", &["massachusetts"], America::New_York),
    region("mi", &["michigan"], America::Detroit),
    region("mn", &["minnesota"], America::Chicago),
    region("ms", &["mississippi"], America::Chicago),
    region("mo", &["missouri"], America::Chicago),
    region("mt", &["montana"], America::Denver),
    region("ne", &["nebraska"], America::Chicago),
    region("nv", &["nevada"], America::Los_Angeles),
    region("nh", &["new hampshire"], America::New_York),
    region("nj", &["new jersey"], America::New_York),
    region("nm", &["new mexico"], America::Denver),
    region("ny", &["new york", "new york state"], America::New_York),
    region("nc", &["north carolina"], America::New_York),
    region("nd", &["north dakota"], America::Chicago),
    region("oh", &["ohio"], America::New_York),
    region("ok", &["oklahoma"], America::Chicago),
    region("or", &["oregon"], America::Los_Angeles),
    region("pa", &["pennsylvania"], America::New_York),
    region("ri", &["rhode island"], America::New_York),
    region("sc", &["south carolina"], America::New_York),
    region("sd", &["south dakota"], America::Chicago),
    region("tn", &["tennessee"], America::Chicago),
    region("tx", &["texas"], America::Chicago),
    region("ut", &["utah"], America::Denver),
    region("vt", &["vermont"], America::New_York),
    region("va", &["virginia"], America::New_York),
    region(
        "wa",
        &["washington", "washington state"],
        America::Los_Angeles,
    ),
    region("wv", &["west virginia"], America::New_York),
    region("wi", &["wisconsin"], America::Chicago),
    region("wy", &["wyoming"], America::Denver),
    region("pr", &["puerto rico"], America::Puerto_Rico),
    region(
        "vi",
        &[
            "us virgin islands",
            "virgin islands",
            "united states virgin islands",
        ],
        America::St_Thomas,
    ),
    region("gu", &["guam"], Pacific::Guam),
    region("mp", &["northern mariana islands"], Pacific::Saipan),
    region("as", &["american samoa"], Pacific::Pago_Pago),
];

/// Canadian provinces and territories. Split ones, by population:
/// - British Columbia: America/Vancouver (the East Kootenays and the Peace River region keep
///   Mountain time).
/// - Newfoundland and Labrador: America/St_Johns, UTC-3:30 (most of Labrador is Atlantic).
/// - Ontario: America/Toronto (the north-west, Kenora, is Central).
/// - Quebec: America/Toronto (tzdb's zone for most of Quebec; America/Montreal is an alias
///   of it. The Magdalen Islands and the Lower North Shore are Atlantic).
/// - Saskatchewan: America/Regina, Central Standard all year, no DST (Lloydminster follows
///   Alberta).
/// - Northwest Territories: America/Edmonton (Yellowknife is a tzdb alias of it).
/// - Nunavut: America/Iqaluit, Eastern (the Kivalliq region is Central, the Kitikmeot Mountain).
/// - Yukon: America/Whitehorse, UTC-7 all year since 2020.
pub(super) const CANADIAN_PROVINCES: &[RegionEntry] = &[
    region("ab", &["alberta"], America::Edmonton),
    region("bc", &["british columbia"], America::Vancouver),
    region("mb", &["manitoba"], America::Winnipeg),
    region("nb", &["new brunswick"], America::Moncton),
    region(
        "nl",
        &[
            "newfoundland and labrador",
            "newfoundland & labrador",
            "newfoundland",
            "nf",
            "nfld",
        ],
        America::St_Johns,
    ),
    region("ns", &["nova scotia"], America::Halifax),
    region("nt", &["northwest territories", "nwt"], America::Edmonton),
    region("nu", &["nunavut"], America::Iqaluit),
    region("on", &["ontario"], America::Toronto),
    region("pe", &["prince edward island", "pei"], America::Halifax),
    region("qc", &["quebec", "québec", "pq"], America::Toronto),
    region("sk", &["saskatchewan"], America::Regina),
    region("yt", &["yukon", "yukon territory"], America::Whitehorse),
];

/// Australian states and territories. Queensland, the Northern Territory and Western
/// Australia have no DST;
/// New South Wales' Broken Hill follows South Australia, and Lord Howe Island has its own
/// zone, both minorities.
pub(super) const AUSTRALIAN_STATES: &[RegionEntry] = &[
    region("nsw", &["new south wales"], Australia::Sydney),
    region("vic", &["victoria"], Australia::Melbourne),
    region("qld", &["queensland"], Australia::Brisbane),
    region("wa", &["western australia"], Australia::Perth),
    region("sa", &["south australia"], Australia::Adelaide),
    region("tas", &["tasmania"], Australia::Hobart),
    region("nt", &["northern territory"], Australia::Darwin),
    region(
        "act",
        &["australian capital territory", "canberra"],
        Australia::Sydney,
    ),
];

pub(super) const fn country(alpha2: &'static str, tz: Tz) -> CountryEntry {
    CountryEntry { alpha2, tz }
}

/// Countries common in B2B outreach. Multi-zone countries map to the zone of their capital
/// or main business centre, a documented guess that only applies when no region is known:
/// - United States: America/New_York (Eastern holds the largest share of population and
///   business; after the phone's area code, see the module docs).
/// - Canada: America/Toronto (Ontario and Quebec; after the phone's area code).
/// - Australia: Australia/Sydney (NSW, Victoria and the ACT share its offsets).
/// - Brazil: America/Sao_Paulo (Brasília time; the west and Amazonas are 1-2 h behind).
/// - Mexico: America/Mexico_City (Baja California, Sonora and Quintana Roo differ).
/// - Russia: Europe/Moscow. Indonesia: Asia/Jakarta. Chile: America/Santiago (Easter
///   Island differs). New Zealand: Pacific/Auckland (Chatham Islands differ). Spain:
///   Europe/Madrid (the Canary Islands are one hour behind). Portugal: Europe/Lisbon (the
///   Azores are one hour behind). France, Netherlands, Denmark: their European zone
///   (overseas territories, Greenland and the Faroes differ). Ecuador: America/Guayaquil
///   (Galápagos differ). Argentina: America/Argentina/Buenos_Aires (one offset country-wide).
pub(super) const COUNTRIES: &[CountryEntry] = &[
    // North America and the NANP Caribbean
    country("us", America::New_York),
    country("ca", America::Toronto),
    country("mx", America::Mexico_City),
    country("pr", America::Puerto_Rico),
    country("jm", America::Jamaica),
    country("do", America::Santo_Domingo),
    country("bs", America::Nassau),
    country("bm", Atlantic::Bermuda),
    country("ky", America::Cayman),
    country("cr", America::Costa_Rica),
    country("pa", America::Panama),
    country("gt", America::Guatemala),
    // South America
    country("br", America::Sao_Paulo),
    country("ar", America::Argentina::Buenos_Aires),
    country("cl", America::Santiago),
    country("co", America::Bogota),
    country("pe", America::Lima),
    country("uy", America::Montevideo),
    country("ec", America::Guayaquil),
    // Europe
    country("gb", Europe::London),
    country("ie", Europe::Dublin),
    country("de", Europe::Berlin),
    country("fr", Europe::Paris),
    country("nl", Europe::Amsterdam),
    country("be", Europe::Brussels),
    country("lu", Europe::Luxembourg),
    country("ch", Europe::Zurich),
    country("at", Europe::Vienna),
    country("es", Europe::Madrid),
    country("pt", Europe::Lisbon),
    country("it", Europe::Rome),
    country("se", Europe::Stockholm),
    country("no", Europe::Oslo),
    country("dk", Europe::Copenhagen),
    country("fi", Europe::Helsinki),
    country("is", Atlantic::Reykjavik),
    country("pl", Europe::Warsaw),
    country("cz", Europe::Prague),
    country("sk", Europe::Bratislava),
    country("hu", Europe::Budapest),
    country("ro", Europe::Bucharest),
    country("bg", Europe::Sofia),
    country("gr", Europe::Athens),
    country("hr", Europe::Zagreb),
    country("si", Europe::Ljubljana),
    country("rs", Europe::Belgrade),
    country("ee", Europe::Tallinn),
    country("lv", Europe::Riga),
    country("lt", Europe::Vilnius),
    country("ua", Europe::Kyiv),
    country("cy", Asia::Nicosia),
    country("mt", Europe::Malta),
    country("ru", Europe::Moscow),
    country("tr", Europe::Istanbul),
    // Middle East and Africa
    country("il", Asia::Jerusalem),
    country("ae", Asia::Dubai),
    country("sa", Asia::Riyadh),
    country("qa", Asia::Qatar),
    country("eg", Africa::Cairo),
    country("za", Africa::Johannesburg),
    country("ng", Africa::Lagos),
    country("ke", Africa::Nairobi),
    country("ma", Africa::Casablanca),
    // Asia-Pacific
    country("in", Asia::Kolkata),
    country("pk", Asia::Karachi),
    country("sg", Asia::Singapore),
    country("my", Asia::Kuala_Lumpur),
    country("th", Asia::Bangkok),
    country("vn", Asia::Ho_Chi_Minh),
    country("ph", Asia::Manila),
    country("id", Asia::Jakarta),
    country("jp", Asia::Tokyo),
    country("kr", Asia::Seoul),
    country("cn", Asia::Shanghai),
    country("hk", Asia::Hong_Kong),
    country("tw", Asia::Taipei),
    country("au", Australia::Sydney),
    country("nz", Pacific::Auckland),
];

/// Geographic NANP area codes (as assigned by early 2026, including overlays announced for
/// 2024-2026), grouped by jurisdiction. Area codes that straddle zones, by population:
/// - Florida 850 and its overlay 448 (the panhandle): America/Chicago. Pensacola, Fort
///   Walton Beach and Panama City are Central and outnumber Eastern Tallahassee.
/// - Indiana 219 (Gary, Hammond, Lake and Porter counties): America/Chicago. Indiana 812/930
///   stay on America/Indiana/Indianapolis although Evansville is Central.
/// - Kentucky 270 and 364 (Bowling Green, Paducah, Owensboro): America/Chicago.
/// - Tennessee 423 and 865 (Chattanooga, Knoxville, Tri-Cities): America/New_York.
/// - Texas 915 (El Paso): America/Denver.
/// - Idaho 208/986: America/Boise (the northern panhandle is Pacific).
/// - Oregon 541/458: America/Los_Angeles (Malheur County is Mountain).
/// - Nebraska 308, Kansas 785/620, the Dakotas 701/605: America/Chicago (western parts are
///   Mountain).
/// - Michigan 906 (Upper Peninsula): America/Detroit (four counties are Central).
/// - Ontario 807 (Thunder Bay, Kenora): America/Toronto (Kenora district is Central).
/// - British Columbia 250/778/236/672/257: America/Vancouver (the East Kootenays and Peace
///   River keep Mountain time).
/// - Newfoundland and Labrador 709/879: America/St_Johns (Labrador is mostly Atlantic).
/// - 867 (Yukon, Northwest Territories, Nunavut): America/Edmonton. The three territories
///   have about equal population; Mountain time is the NWT's zone, matches Yukon's
///   year-round UTC-7 in winter and western Nunavut, while Iqaluit is Eastern.
/// - Arizona 928 includes the Navajo Nation, which observes DST: America/Phoenix anyway.
pub(super) const NANP_AREA_CODES: &[(&str, Tz, &[u16])] = &[
    // United States
    ("US-AL", America::Chicago, &[205, 251, 256, 334, 659, 938]),
    ("US-AK", America::Anchorage, &[907]),
    ("US-AZ", America::Phoenix, &[480, 520, 602, 623, 928]),
    ("US-AR", America::Chicago, &[327, 479, 501, 870]),
    (
        "US-CA",
        America::Los_Angeles,
        &[
            209, 213, 279, 310, 323, 341, 350, 357, 369, 408, 415, 424, 442, 510, 530, 559, 562,
            619, 626, 628, 650, 657, 661, 669, 707, 714, 738, 747, 760, 805, 818, 820, 831, 837,
            840, 858, 909, 916, 925, 949, 951,
        ],
    ),
    ("US-CO", America::Denver, &[303, 719, 720, 970, 983]),
    ("US-CT", America::New_York, &[203, 475, 860, 959]),
    ("US-DE", America::New_York, &[302]),
    ("US-DC", America::New_York, &[202, 771]),
    (
        "US-FL",
        America::New_York,
        &[
            239, 305, 321, 324, 352, 386, 407, 561, 645, 656, 689, 727, 728, 754, 772, 786, 813,
            863, 904, 941, 954,
        ],
    ),
    ("US-FL", America::Chicago, &[448, 850]),
    (
        "US-GA",
        America::New_York,
        &[229, 404, 470, 478, 678, 706, 762, 770, 912, 943],
    ),
    ("US-HI", Pacific::Honolulu, &[808]),
    ("US-ID", America::Boise, &[208, 986]),
    (
        "US-IL",
        America::Chicago,
        &[
            217, 224, 309, 312, 331, 447, 464, 618, 630, 708, 730, 773, 779, 815, 847, 861, 872,
        ],
    ),
    (
        "US-IN",
        America::Indiana::Indianapolis,
        &[260, 317, 463, 574, 765, 812, 930],
    ),
    ("US-IN", America::Chicago, &[219]),
    ("US-IA", America::Chicago, &[319, 515, 563, 641, 712]),
    ("US-KS", America::Chicago, &[316, 620, 785, 913]),
    ("US-KY", America::New_York, &[502, 606, 859]),
    ("US-KY", America::Chicago, &[270, 364]),
    ("US-LA", America::Chicago, &[225, 318, 337, 457, 504, 985]),
    ("US-ME", America::New_York, &[207]),
    ("US-MD", America::New_York, &[227, 240, 301, 410, 443, 667]),
    (
        "US-MA",
        America::New_York,
        &[339, 351, 413, 508, 617, 774, 781, 857, 978],
    ),
    (
        "US-MI",
        America::Detroit,
        &[
            231, 248, 269, 313, 517, 586, 616, 679, 734, 810, 906, 947, 989,
        ],
    ),
    (
        "US-MN",
        America::Chicago,
        &[218, 320, 507, 612, 651, 763, 924, 952],
    ),
    ("US-MS", America::Chicago, &[228, 601, 662, 769]),
    (
        "US-MO",
        America::Chicago,
        &[235, 314, 417, 557, 573, 636, 660, 816, 975],
    ),
    ("US-MT", America::Denver, &[406]),
    ("US-NE", America::Chicago, &[308, 402, 531]),
    ("US-NV", America::Los_Angeles, &[702, 725, 775]),
    ("US-NH", America::New_York, &[603]),
    (
        "US-NJ",
        America::New_York,
        &[201, 551, 609, 640, 732, 848, 856, 862, 908, 973],
    ),
    ("US-NM", America::Denver, &[505, 575]),
    (
        "US-NY",
        America::New_York,
        &[
            212, 315, 329, 332, 347, 363, 516, 518, 585, 607, 624, 631, 646, 680, 716, 718, 838,
            845, 914, 917, 929, 934,
        ],
    ),
    (
        "US-NC",
        America::New_York,
        &[252, 336, 472, 704, 743, 828, 910, 919, 980, 984],
    ),
    ("US-ND", America::Chicago, &[701]),
    (
        "US-OH",
        America::New_York,
        &[
            216, 220, 234, 283, 326, 330, 380, 419, 436, 440, 513, 567, 614, 740, 937,
        ],
    ),
    ("US-OK", America::Chicago, &[405, 539, 572, 580, 918]),
    ("US-OR", America::Los_Angeles, &[458, 503, 541, 971]),
    (
        "US-PA",
        America::New_York,
        &[
            215, 223, 267, 272, 412, 445, 484, 570, 582, 610, 717, 724, 814, 835, 878,
        ],
    ),
    ("US-RI", America::New_York, &[401]),
    ("US-SC", America::New_York, &[803, 821, 839, 843, 854, 864]),
    ("US-SD", America::Chicago, &[605]),
    ("US-TN", America::Chicago, &[615, 629, 731, 901, 931]),
    ("US-TN", America::New_York, &[423, 865]),
    (
        "US-TX",
        America::Chicago,
        &[
            210, 214, 254, 281, 325, 346, 361, 409, 430, 432, 469, 512, 682, 713, 726, 737, 806,
            817, 830, 832, 903, 936, 940, 945, 956, 972, 979,
        ],
    ),
    ("US-TX", America::Denver, &[915]),
    ("US-UT", America::Denver, &[385, 435, 801]),
    ("US-VT", America::New_York, &[802]),
    (
        "US-VA",
        America::New_York,
        &[276, 434, 540, 571, 703, 757, 804, 826, 948],
    ),
    (
        "US-WA",
        America::Los_Angeles,
        &[206, 253, 360, 425, 509, 564],
    ),
    ("US-WV", America::New_York, &[304, 681]),
    (
        "US-WI",
        America::Chicago,
        &[262, 274, 353, 414, 534, 608, 715, 920],
    ),
    ("US-WY", America::Denver, &[307]),
    // US territories
    ("US-PR", America::Puerto_Rico, &[787, 939]),
    ("US-VI", America::St_Thomas, &[340]),
    ("US-GU", Pacific::Guam, &[671]),
    ("US-MP", Pacific::Saipan, &[670]),
    ("US-AS", Pacific::Pago_Pago, &[684]),
    // Canada
    ("CA-AB", America::Edmonton, &[368, 403, 587, 780, 825]),
    ("CA-BC", America::Vancouver, &[236, 250, 257, 604, 672, 778]),
    ("CA-MB", America::Winnipeg, &[204, 431, 584]),
    ("CA-NB", America::Moncton, &[428, 506]),
    ("CA-NL", America::St_Johns, &[709, 879]),
    // Nova Scotia and Prince Edward Island share 902/782.
    ("CA-NS", America::Halifax, &[782, 902]),
    (
        "CA-ON",
        America::Toronto,
        &[
            226, 249, 289, 343, 365, 382, 416, 437, 519, 548, 613, 647, 683, 705, 742, 753, 807,
            905, 942,
        ],
    ),
    (
        "CA-QC",
        America::Toronto,
        &[263, 354, 367, 418, 438, 450, 468, 514, 579, 581, 819, 873],
    ),
    ("CA-SK", America::Regina, &[306, 474, 639]),
    ("CA-NT", America::Edmonton, &[867]),
    // NANP Caribbean and Atlantic
    ("BS", America::Nassau, &[242]),
    ("BB", America::Barbados, &[246]),
    ("AI", America::Anguilla, &[264]),
    ("AG", America::Antigua, &[268]),
    ("VG", America::Tortola, &[284]),
    ("KY", America::Cayman, &[345]),
    ("BM", Atlantic::Bermuda, &[441]),
    ("GD", America::Grenada, &[473]),
    ("TC", America::Grand_Turk, &[649]),
    ("JM", America::Jamaica, &[658, 876]),
    ("MS", America::Montserrat, &[664]),
    ("SX", America::Lower_Princes, &[721]),
    ("LC", America::St_Lucia, &[758]),
    ("DM", America::Dominica, &[767]),
    ("VC", America::St_Vincent, &[784]),
    ("DO", America::Santo_Domingo, &[809, 829, 849]),
    ("TT", America::Port_of_Spain, &[868]),
    ("KN", America::St_Kitts, &[869]),
];
