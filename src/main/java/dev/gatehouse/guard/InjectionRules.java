package dev.gatehouse.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The phrase rules of the scanner, per kind and language. They run on folded text
 * ({@link InjectionScanner#fold}: NFKC, lower case, invisible characters removed, look-alike
 * letters made Latin, whitespace collapsed), so they are written in lower case.
 *
 * <p>Shape of the override rules, in every language: a verb that sets something aside
 * (ignore, forget, disregard) near a noun for what steers the model (instructions, rules,
 * prompt) and a word that points at what came before (previous, above, all, your, system).
 * The three together are what distinguishes "ignore all previous instructions" from "ignore
 * my previous message" or "if you ignore the instructions on the box".
 *
 * <p>Every gap is bounded and stays inside one sentence, so each rule runs in time linear in
 * the text (times a small constant).
 */
final class InjectionRules {
  private InjectionRules() {}

  /**
   * One phrase rule: the kind it flags, a short name for the detail, its pattern, and the
   * literals one of which every match starts with (null when there are none to name).
   */
  record Rule(String kind, String name, Pattern pattern, String[] anchors) {
    Rule(String kind, String name, Pattern pattern) {
      this(kind, name, pattern, InjectionRules.anchors(pattern.pattern()));
    }

    /** False only when the pattern cannot match {@code text}: a cheap test before the regex runs. */
    boolean mayMatch(String text) {
      return InjectionRules.mayMatch(anchors, text);
    }

    /** {@link #mayMatch(String)}, skipping the search for anchors whose pairs {@code text} lacks. */
    boolean mayMatch(String text, Bigrams pairs) {
      return InjectionRules.mayMatch(anchors, text, pairs);
    }
  }

  /** {@link #mayMatch(String[], String)}, skipping the search for anchors whose pairs {@code text} lacks. */
  static boolean mayMatch(String[] anchors, String text, Bigrams pairs) {
    if (anchors == null) {
      return true;
    }
    for (String a : anchors) {
      if (pairs.mayContain(a) && text.contains(a)) {
        return true;
      }
    }
    return false;
  }

  static boolean mayMatch(String[] anchors, String text) {
    if (anchors == null) {
      return true;
    }
    for (String a : anchors) {
      if (text.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The literal prefixes that every match of {@code regex} starts with: for each top-level
   * alternative, its leading literal, or the leading literals of its first group's
   * alternatives. Null when some alternative starts with no literal (then the rule always runs).
   */
  static String[] anchors(String regex) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    for (String branch : splitTop(regex)) {
      String b = stripBoundary(branch);
      if (b.startsWith("(?:")) {
        int close = closing(b, 0);
        if (close < 0) {
          return null;
        }
        boolean optional = close + 1 < b.length() && "?*{".indexOf(b.charAt(close + 1)) >= 0;
        if (optional) {
          return null;
        }
        for (String alt : splitTop(b.substring(3, close))) {
          String prefix = literalPrefix(stripBoundary(alt));
          if (prefix.isEmpty()) {
            return null;
          }
          out.add(prefix);
        }
      } else {
        String prefix = literalPrefix(b);
        if (prefix.isEmpty()) {
          return null;
        }
        out.add(prefix);
      }
    }
    return out.isEmpty() ? null : out.toArray(String[]::new);
  }

  private static String stripBoundary(String s) {
    while (s.startsWith("(?<!") || s.startsWith("(?<=")) {
      int close = closing(s, 0);
      if (close < 0) {
        return s;
      }
      s = s.substring(close + 1);
    }
    return s.startsWith("\\b") ? s.substring(2) : s;
  }

  private static String literalPrefix(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ("[](){}?*+|\\.^$".indexOf(c) >= 0) {
        if ((c == '?' || c == '*' || c == '{') && b.length() > 0) {
          b.setLength(b.length() - 1);
        }
        break;
      }
      b.append(c);
    }
    return b.toString();
  }

  /** Splits on the {@code |} that are outside groups and classes. */
  private static List<String> splitTop(String regex) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    boolean inClass = false;
    int start = 0;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\') {
        i++;
      } else if (inClass) {
        inClass = c != ']';
      } else if (c == '[') {
        inClass = true;
      } else if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == '|' && depth == 0) {
        parts.add(regex.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(regex.substring(start));
    return parts;
  }

  /** The index of the parenthesis closing the group opened at {@code open}, or -1. */
  private static int closing(String regex, int open) {
    int depth = 0;
    boolean inClass = false;
    for (int i = open; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\') {
        i++;
      } else if (inClass) {
        inClass = c != ']';
      } else if (c == '[') {
        inClass = true;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /** A bounded gap inside one sentence. */
  static String gap(int n) {
    return "[^.!?;。！？\\n]{0," + n + "}?";
  }

  private static Pattern p(String regex) {
    return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
  }

  /** verb … qualifier … noun, or verb … noun … qualifier; {@code b} puts word boundaries around each part. */
  private static String vqn(String verb, String qualifier, String noun, boolean b) {
    String l = b ? "\\b(?:" : "(?:";
    String r = b ? ")\\b" : ")";
    String lp = b ? "\\b(?:" : "(?:";
    String v = l + verb + r;
    String q = lp + qualifier + ")";
    String n = lp + noun + ")";
    return v + gap(40) + q + gap(30) + n + "|" + v + gap(40) + n + gap(30) + q;
  }

  /** qualifier … noun … verb, for languages that put the verb last. */
  private static String qnv(String qualifier, String noun, String verb) {
    return "(?:" + qualifier + ")" + gap(20) + "(?:" + noun + ")" + gap(20) + "(?:" + verb + ")";
  }

  static final List<Rule> OVERRIDE = new ArrayList<>();
  static final List<Rule> ROLE = new ArrayList<>();
  static final List<Rule> TEMPLATE = new ArrayList<>();
  static final List<Rule> DELIMITER = new ArrayList<>();
  static final List<Rule> SECRET = new ArrayList<>();

  private static void override(String lang, String regex) {
    OVERRIDE.add(new Rule(InjectionScanner.INSTRUCTION_OVERRIDE, lang, p(regex)));
  }

  private static void role(String lang, String regex) {
    ROLE.add(new Rule(InjectionScanner.ROLE_SWITCH, lang, p(regex)));
  }

  private static void secret(String lang, String regex) {
    SECRET.add(new Rule(InjectionScanner.SECRET_REQUEST, lang, p(regex)));
  }

  private static void delimiter(String name, String regex, String... anchors) {
    DELIMITER.add(new Rule(InjectionScanner.DELIMITER_INJECTION, name, p(regex), anchors));
  }

  private static void template(String name, String regex, String... anchors) {
    TEMPLATE.add(anchors.length == 0 ? new Rule(InjectionScanner.TEMPLATE_TOKEN, name, p(regex))
        : new Rule(InjectionScanner.TEMPLATE_TOKEN, name, p(regex), anchors));
  }

  // ---- instruction_override -------------------------------------------------------------

  private static final String EN_VERB = "ignore|disregard|forget|override|overwrite|bypass|skip|discard|abandon|drop"
      + "|scratch|nevermind|never mind|set aside|put aside|throw away|throw out|pay no attention to|do not follow"
      + "|don't follow|dont follow|stop following|no longer follow|stop obeying|do not obey|don't obey|disobey"
      + "|do not adhere to|don't adhere to";
  private static final String EN_QUAL = "all|any|every|previous|previously|prior|preceding|earlier|above|foregoing|initial"
      + "|original|existing|old|system|your|ur|those|these|the rest of|other";
  private static final String EN_NOUN = "instructions?|directions|directives?|rules|guidelines|guidance|prompts?|orders"
      + "|commands|context|constraints|restrictions|programming|guardrails|policies|training|conditioning"
      + "|system message";
  private static final String EN_BEFORE = "above|before|earlier|so far|previously|from before|you (?:were|have been|had been)"
      + " (?:given|told)|you received|given to you|in your (?:system )?prompt";

  static {
    override("en", vqn(EN_VERB, EN_QUAL, EN_NOUN, true));
    override("en", "\\b(?:" + EN_VERB + ")\\b" + gap(30) + "\\b(?:" + EN_NOUN + ")\\b\\s*(?:" + EN_BEFORE + ")\\b");
    override("en", "\\b(?:ignore|disregard|forget|nevermind|never mind|scratch|skip)\\s+(?:all\\s+(?:of\\s+)?)?(?:the\\s+|that\\s+)?"
        + "(?:above|previous|prior|preceding|foregoing)(?=\\s*(?:[,.;:!\\n—-]|and\\b|$|instead|then\\b))");
    override("en", "\\b(?:ignore|disregard|forget|scratch|nevermind|never mind|pay no attention to)\\b" + gap(30)
        + "\\byou(?:'ve| have| were| had|'d)?\\s+(?:been\\s+)?(?:told|given|instructed|programmed|asked)\\b");
    override("en", "\\b(?:ignore|disregard)\\s+(?:the\\s+|what\\s+the\\s+)?(?:user|user's|human's|operator's|owner's)"
        + "\\s+(?:request|question|message|instructions|prompt|task)");
    override("en", "\\b(?:new|updated|revised|real|actual|true)\\s+(?:instructions?|orders|directives?|rules|system prompt)"
        + "\\s*(?::|are\\b|is\\b|follow\\b)");
    override("en", "\\b(?:previous|prior|above|earlier|original|old|initial|system|preceding)\\s+(?:instructions|directives"
        + "|directions|rules|prompt|guidelines|context)\\b" + gap(25) + "\\b(?:void|cancel+ed|revoked|outdated|obsolete"
        + "|no longer (?:apply|applies|valid|in effect|relevant)|(?:only )?a test|overridden|superseded|null|invalid"
        + "|don't apply|do not apply|replaced|withdrawn|lifted)\\b");
    override("en", "\\binstructions (?:above|before this)\\b" + gap(20) + "\\b(?:void|only a test|a test|cancel+ed|revoked"
        + "|no longer apply|fake|outdated)\\b");
    override("en", "\\b(?:supersedes?|overrides?|replaces?|cancels?|invalidates?)\\s+(?:all\\s+|any\\s+)?(?:previous|prior"
        + "|earlier|existing|other|your)\\s+(?:instructions|rules|directives|prompts|guidelines)");
    override("en", "\\b(?:" + EN_VERB + ")\\b" + gap(20) + "\\b(?:your|the)\\s+(?:system prompt|system message"
        + "|initial prompt|safety (?:rules|guidelines|policies|filters))\\b");

    override("es", vqn("ignora|ignore|ignorad|ignoren|olvida|olvide|olvidad|olviden|descarta|descarte|omite|omita|no sigas"
            + "|no siga|deja de seguir|haz caso omiso (?:a|de)|no hagas caso (?:a|de)|desobedece|anula",
        "anteriores|previas|previos|de arriba|anterior|todas|todos|tus|sus|del sistema|originales|iniciales|recibidas"
            + "|que te dieron|que te han dado|dadas|que has recibido",
        "instrucciones|indicaciones|reglas|[oó]rdenes|directrices|normas|restricciones|el prompt|pautas|lo anterior", true));
    override("fr", vqn("ignore|ignorez|ignorer|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|fais abstraction"
            + "|faites abstraction|n'ob[ée]is plus|ne suis plus|ne suivez plus|outrepasse|outrepassez|annule|annulez",
        "pr[ée]c[ée]dentes?|ant[ée]rieures?|ci-dessus|plus haut|toutes|tous|tes|vos|du syst[èe]me|syst[èe]me|initiales"
            + "|d'origine|qu'on (?:t'|vous )a donn[ée]es|re[çc]ues|donn[ée]es",
        "instructions?|consignes|r[èe]gles|directives|indications|ordres|restrictions|le prompt|ce qui pr[ée]c[èe]de", true));
    override("de", vqn("ignoriere|ignorier|ignorieren sie|ignoriert|vergiss|vergessen sie|vergesst|missachte|missachten sie"
            + "|überschreibe|uberschreibe|überschreiben sie|uberschreiben sie|befolge nicht|befolgen sie nicht|setze dich [üu]ber|verwirf|verwerfen sie",
        "vorherigen?|vorigen?|bisherigen?|obigen?|alle|alles|deine|ihre|eure|system\\w*|urspr[üu]nglichen?|fr[üu]heren?"
            + "|vorher|zuvor|oben",
        "anweisung(?:en)?|instruktionen|regeln|vorgaben|befehle|anordnungen|richtlinien|systemanweisungen|einschr[äa]nkungen"
            + "|alles,? was (?:man )?dir|prompt|systemprompt", true));
    override("pt", vqn("ignore|ignora|ignorem|esque[çc]a|esquece|esque[çc]am|desconsidere|desconsidera|descarte|descarta"
            + "|não siga|nao siga|deixe de seguir|desobede[çc]a",
        "anteriores|pr[ée]vias|acima|todas|todos|suas|seus|tuas|teus|do sistema|originais|iniciais|que te deram"
            + "|que lhe deram|recebidas|que voc[êe] recebeu",
        "instru[çc][õo]es|regras|orienta[çc][õo]es|diretrizes|comandos|ordens|restri[çc][õo]es|o que foi dito|prompt", true));
    override("it", vqn("ignora|ignori|ignorate|dimentica|dimentichi|dimenticate|trascura|non seguire|non seguite"
            + "|smetti di seguire|non obbedire|annulla",
        "precedenti|sopra|tutte|tutti|tue|sue|vostre|di sistema|del sistema|originali|iniziali|che ti hanno dato|ricevute"
            + "|pi[ùu]",
        "istruzioni|regole|indicazioni|direttive|comandi|ordini|restrizioni|prompt|quanto sopra", true));
    override("nl", vqn("negeer|vergeet|negeren|volg niet|volg de|verwerp",
        "voorgaande|vorige|eerdere|bovenstaande|hierboven|alle|je|jouw|systeem\\w*|oorspronkelijke",
        "instructies|regels|aanwijzingen|opdrachten|richtlijnen|prompt", true));
    override("sv", vqn("ignorera|glöm|strunta i|bortse från", "tidigare|alla|ovanstående|dina|system\\w*|ursprungliga",
        "instruktioner(?:na)?|regler(?:na)?|anvisningar(?:na)?|direktiv(?:en)?", true));
    override("pl", vqn("zignoruj|ignoruj|zapomnij|pomi[ńn]|nie stosuj si[ęe] do|nie wykonuj|porzu[ćc]",
        "poprzedni|wcze[śs]niejsz|wszystk|powy[żz]sz|swoje|systemow|dotychczasow",
        "instrukc|polece|zasad|regu[łl]|wytycz", false));
    override("ru", vqn("игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|не обращай внимания на"
            + "|не обращайте внимания на|не следуй|не следуйте|отбрось|отбросьте|отмени|отмените|пренебреги|не выполняй",
        "предыдущ|прежн|все|всё|выше|ранее|раньше|до этого|системн|твои|ваши|свои|изначальн|которые тебе|данные тебе",
        "инструкци|указани|правил|команд|директив|ограничени|всё,? что|все,? что|промпт|установк", false));
    override("uk", vqn("ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|не зважай на|не зважайте на",
        "попередн|усі|всі|вище|системн|твої|ваші|раніше", "інструкці|вказівк|правил|команд|все,? що", false));
    override("tr", qnv("önceki|yukarıdaki|tüm|bütün|sistem|eski|verilen|bu", "talimat|kural|yönerge|komut|emir",
        "yok say|görmezden gel|unut|dikkate alma|umursama|uyma"));
    override("ar", vqn("تجاهل|تجاهلي|تجاهلوا|انس|انسى|انسي|لا تتبع|لا تلتزم ب",
        "السابقة|جميع|كل|أعلاه|الأصلية|النظام", "التعليمات|الأوامر|القواعد|الإرشادات|تعليمات|أوامر", false));
    override("hi", qnv("पिछले|सभी|पहले के|ऊपर के|सारे|पिछली", "निर्देश|नियम|आदेश|हिदायत",
        "अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल जा|मत मानो"));
    override("vi", vqn("bỏ qua|phớt lờ|quên|không tuân theo|bỏ", "trước đó|trước|tất cả|ở trên|hệ thống|của bạn",
        "hướng dẫn|chỉ dẫn|chỉ thị|quy tắc|lệnh|mệnh lệnh", true));
    override("id", vqn("abaikan|lupakan|jangan ikuti|jangan patuhi", "sebelumnya|semua|di atas|sistem|awal",
        "instruksi|petunjuk|aturan|perintah|arahan", true));
    override("zh", vqn("忽略|无视|無視|忘记|忘掉|忘記|不要理会|不要理會|不要遵守|不再遵守|不要遵循|跳过|跳過|抛开|拋開|放弃|放棄|不用管",
        "之前|以前|先前|上面|上述|以上|所有|全部|系统|系統|你的|原来|原來|原有|前面", "指令|指示|规则|規則|说明|說明|设定|設定|提示|要求|命令"
            + "|限制|约束|約束|内容|內容", false));
    override("ja", qnv("これまで|以前|上記|前|先|今まで|すべて|全て|システム|元の|最初", "指示|命令|ルール|規則|設定|指令|プロンプト|制約|制限"
        + "|ガイドライン", "無視|忘れ|従わな"));
    override("ja", "(?:指示|命令|ルール|指令|プロンプト|制約)(?:を|は)?(?:すべて|全て)?無視(?:して|しろ|せよ|しなさい)");
    override("ko", qnv("이전|위의|앞의|모든|기존|시스템|원래", "지시|지침|명령|규칙|지시사항|프롬프트|제한", "무시|잊어|따르지 마"));
  }

  // ---- role_switch ----------------------------------------------------------------------

  /** What makes a persona or mode a jailbreak: no rules, no limits, no filter. */
  static final Pattern UNRESTRICTED = p(
      "\\b(?:no|without(?: any)?|zero|free (?:of|from)|bypass\\w*|ignor\\w*|disabl\\w*|never (?:\\w+ ){0,3}?with(?: any)?|lift\\w*|remov\\w*)\\b"
          + gap(25) + "\\b(?:restrictions?|rules|filters?|limit(?:s|ations)|censorship|content polic(?:y|ies)|polic(?:y|ies)"
          + "|guidelines|guardrails|safety|ethic\\w*|moral\\w*|boundaries|constraints)\\b"
          + "|\\b(?:safety|filters?|restrictions|guardrails|censorship|content polic(?:y|ies)|safety (?:settings|protocols))\\b"
          + gap(20) + "\\b(?:off|disabled|removed|lifted|deactivated|turned off|suspended)\\b"
          + "|\\b(?:unrestricted|unfiltered|uncensored|amoral|jailbroken|unlimited|unbound|unshackled)\\b"
          + "|\\bnever (?:refuses?|says? (?:no|it can(?:no|')t))\\b|\\b(?:answers?|does|do|say|generate) (?:anything|everything)\\b"
          + "|\\b(?:comply|complies) with (?:every|any|all)\\b|\\bany content\\b"
          // other languages
          + "|\\bsin (?:ninguna |ning[uú]n |ning[uú]n tipo de )?(?:restricci[oó]n|restricciones|filtros?|l[ií]mites?|limitaci[oó]n"
          + "|limitaciones|reglas|censura)|\\bning[uú]na? (?:limitaci[oó]n|restricci[oó]n|regla)"
          + "|\\bsans (?:aucune? )?(?:restrictions?|filtres?|limites?|r[èe]gles|censure)|\\bplus de (?:r[èe]gles|restrictions"
          + "|limites|filtres)|\\baucune? (?:restriction|r[èe]gle|limite)"
          + "|\\bohne (?:jegliche |alle |irgendwelche )?(?:einschr[äa]nkung\\w*|filter|regeln|grenzen|zensur|richtlinien)"
          + "|\\bkeine (?:regeln|einschr[äa]nkungen|grenzen|filter|richtlinien)"
          + "|\\bsem (?:nenhuma? |qualquer )?(?:restri[çc][ãa]o|restri[çc][õo]es|filtros?|limites?|regras|censura)"
          + "|\\bsenza (?:alcuna |nessuna )?(?:restrizion[ei]|filtr[oi]|limit[ei]|regole|censura)|\\bdisattiva (?:i )?filtri"
          + "|без (?:каких-либо |всяких |любых |никаких )?(?:ограничений|правил|фильтров|цензуры)|нет (?:никаких )?(?:правил|ограничений)"
          + "|没有任何限制|沒有任何限制|没有限制|沒有限制|不受任何|无限制|無限制|没有(?:任何)?(?:规则|道德|过滤)"
          + "|制限のない|制限なし|制限が(?:解除|ない|なく)|ルールのない|フィルターなし|検閲なし"
          + "|제한 없는|제한이 없는|규칙 없는|\\bzonder (?:enige )?(?:beperkingen|regels|filters|censuur)"
          + "|\\bbez (?:[żz]adnych )?(?:ogranicze[ńn]|zasad|filtr[óo]w|cenzury)|kısıtlaması olmayan|kısıtlamasız|kuralsız|sınırsız");

  /** Becoming someone else: a persona, a character, a version of itself. */
  static final Pattern PERSONA = p(
      "\\b(?:you are|you're|you will be|you'll be|act as|acting as|pretend (?:to be|you are|you're)|role-?play as|play the role of"
          + "|assume the role of|take on the role of|become|simulate|imagine you(?:'re| are)|behave as|respond as|answer as"
          + "|from now on,? you|from this point on,? you|from now on|stay in character|persona|alter ego|version of yourself)\\b"
          + "|\\b(?:a partir de ahora|desde ahora),? (?:eres|ser[áa]s)|\\beres ahora|\\bact[úu]a como|\\bfinge (?:ser|que eres)"
          + "|\\btu es (?:maintenant|d[ée]sormais)|\\bvous [êe]tes (?:maintenant|d[ée]sormais)|\\bagis comme|\\bfais semblant d'[êe]tre"
          + "|\\bdu bist (?:jetzt|nun|ab (?:jetzt|sofort))|\\bab jetzt bist du|\\btu so,? als|\\bspiele die rolle|\\bverhalte dich wie"
          + "|\\b(?:a partir de agora|agora),? voc[êe] [ée]|\\bfinja (?:ser|que [ée])|\\baja como"
          + "|\\b(?:da ora in poi|ora|adesso) sei|\\bfingi di essere|\\bcomportati come|\\bagisci come"
          + "|теперь ты|ты теперь|отныне ты|представь,? что ты|притворись|веди себя как|сыграй роль"
          + "|从现在开始[，,]?\\s*你|從現在開始[，,]?\\s*你|你现在是|你現在是|扮演|假装你是|假裝你是"
          + "|(?:今から|これから|以後)[、,]?\\s*(?:あなた|君|お前)は|として振る舞|になりきって|のふりをして"
          + "|지금부터 너는|이제 너는|너는 이제|\\bvanaf nu ben je|\\bje bent nu|\\bdoe alsof je"
          + "|\\bod teraz jeste[śs]|\\bteraz jeste[śs]|\\budawaj,? [żz]e jeste[śs]|\\bartık\\b|şu andan itibaren|bundan sonra");
  static final String[] PERSONA_ANCHORS = anchors(PERSONA.pattern());

  /** A mode that jailbreaks name: developer mode, DAN mode, god mode. */
  static final Pattern MODE = p(
      "\\b(?:developer|dev|god|jailbreak|jailbroken|debug|sudo|admin|unrestricted|unfiltered|uncensored|dan|evil|chaos"
          + "|opposite|maintenance)[ -]mode\\b|\\bmodo (?:desarrollador|dios|sin restricciones|jailbreak|dan|desenvolvedor"
          + "|deus|sem restri[çc][õo]es)|\\bmode (?:d[ée]veloppeur|dieu|sans restriction)|\\bentwickler-?modus|\\bgott-?modus"
          + "|\\bmodalit[àa] (?:sviluppatore|dio|senza restrizioni)|режим разработчика|режим бога|режим без ограничений"
          + "|开发者模式|開發者模式|越狱模式|越獄模式|上帝模式|開発者モード|脱獄モード|ゴッドモード|개발자 모드|\\bontwikkelaarsmodus"
          + "|\\btryb dewelopera");
  static final String[] MODE_ANCHORS = anchors(MODE.pattern());

  static {
    role("en", "\\bdo anything now\\b|\\b(?:you are|you're|respond (?:only )?as|act as|become|called|named|play|as) dan\\b"
        + "|\\bdan mode\\b");
    role("en", "\\bimmerse yourself (?:in|into) the role\\b");
    role("en", "\\byou are no longer (?:an? |the )?(?:ai|assistant|chatbot|language model|bound|restricted|limited|claude"
        + "|chatgpt|gpt|model)\\b");
    role("en", "\\b(?:freed|free|liberated|released|broken free|broke free|escaped)\\s+(?:from|of)\\s+(?:your|its|all|the)"
        + "\\s+(?:\\w+\\s+){0,2}?(?:restrictions|rules|confines|limitations|programming|constraints|creators|policies"
        + "|guidelines|shackles|chains)\\b");
    role("en", "\\b(?:role-?play|act|pretend|play)\\w*\\s+as\\s+(?:my\\s+)?(?:late\\s+|deceased\\s+|dead\\s+)?"
        + "(?:grandma|grandmother|granny)\\b");
  }

  // ---- template_token -------------------------------------------------------------------

  static {
    template("special token", "<\\|[a-z0-9_▁/. -]{1,40}\\|>");
    template("[INST]", "\\[/?inst\\]", "inst]");
    template("<<SYS>>", "<</?sys>>");
    template("turn marker", "<(?:start|end)_of_turn>");
    template("### role:", "(?:^|\\n)\\s*#{2,4}\\s*(?:system|instruction|instructions|input|response|human|assistant|user)\\s*:", "##");
  }

  /** Human:/Assistant: turns: only when both appear at line starts. */
  static final Pattern HUMAN_TURN = p("(?:^|\\n)\\s*human\\s*:");
  static final Pattern ASSISTANT_TURN = p("(?:^|\\n)\\s*assistant\\s*:");

  // ---- delimiter_injection --------------------------------------------------------------

  private static final String FENCE = "(?:^|\\n|[-=#*\\[\\](){}<>~_!|\"'—–…])\\s*";

  static {
    delimiter("end-of-input marker", FENCE + "(?:end of (?:the )?(?:user(?:'s)? |untrusted |external |tool |original |your )?"
        + "(?:input|prompt|message|context|document|text|data|conversation|query|request|email|transcript|content"
        + "|instructions|output|results?|user data|user)\\b|end (?:user|untrusted|human) (?:input|message|data|content)\\b"
        + "|(?:user|input|message|prompt) ends\\b)", "end");
    delimiter("end-of-input marker", "\\b(?:the )?user(?:'s)? (?:input|message|query|request|data|content|text) "
        + "(?:ends|is over|has ended|stops) here\\b|\\beverything (?:below|after this|that follows) (?:is|comes) from the "
        + "(?:system|admin\\w*|operator|developer)\\b", "user", "everything");
    delimiter("end-of-input marker", FENCE + "(?:fin (?:de la |del |de l'|du )?(?:entrada|mensaje|message|entr[ée]e|input|prompt)"
        + "|ende (?:der|des) (?:benutzer)?(?:eingabe|nachricht|dokuments|prompts)|fim da (?:entrada|mensagem)"
        + "|fine (?:dell'|del )(?:input|messaggio)|конец (?:ввода|сообщения|документа|запроса)"
        + "|(?:用户)?输入结束|(?:用戶)?輸入結束|消息结束|入力はここまで|入力終了|ユーザー入力の終わり|입력 끝|einde (?:van de )?invoer)",
        "fin", "ende", "fim", "конец", "输入结束", "輸入結束", "消息结束", "入力", "ユーザー入力", "입력 끝", "einde");
  }

  /** Closing tags of the parts a prompt is built from; flagged when the text never opened them. */
  static final Pattern CLOSING_TAG = p("</\\s*(user|user_input|userinput|input|human|query|context|document|documents|data"
      + "|untrusted\\w*|external\\w*|message|email|tool_output|tool_result|tool|function_results|search_results|results"
      + "|review|conversation|instructions|prompt|assistant|system|system_prompt)\\s*>");

  // ---- secret_request -------------------------------------------------------------------

  private static final String EN_ASK = "(?<!never )(?<!not )(?<!n't )(?<!to )\\b(?:print|reveal|show|display|output|repeat"
      + "|tell me|tell us|give me|give us|share|leak|dump|expose|send|paste|write out|write down|echo|list|disclose"
      + "|provide|read out|spell out|recite|summari[sz]e|what (?:is|are|were|was)|what's|include|return|copy|post"
      + "|upload|forward|email|read)\\b";
  private static final String EN_PROMPT = "\\bsystem (?:prompt|message)\\b|\\b(?:initial|original|hidden|secret|confidential"
      + "|full|exact|entire|complete|first|developer) (?:prompt|instructions|system prompt)\\b|\\byour (?:\\w+ )?"
      + "(?:prompt|instructions|directives|guidelines|configuration)\\b|\\b(?:instructions|prompt) you (?:were|have been) given"
      + "|\\bthe (?:text|words|message) above\\b|\\beverything above\\b";
  private static final String EN_SECRET = "\\b(?:your|the|my|all|any|every|its|our|this|these)\\s+(?:[\\w.-]+\\s+){0,3}?"
      + "(?:api[ -]?keys?|secret keys?|private keys?|passwords?|passphrases?|credentials|access tokens?|bearer tokens?"
      + "|auth(?:entication)? tokens?|tokens|secrets?|ssh keys?|env(?:ironment)? (?:variables|vars)|\\.env(?: file)?"
      + "|session (?:ids?|cookies?)|keys)\\b(?!\\s*(?:polic|manager|field|reset|requirement|length|rule|strength|hash|format"
      + "|complexity|expir|change|recovery|safe|secure))";
  private static final String SECRET_FILE = "(?:~|\\$home|/home/\\w+|/root)?/?(?:\\.ssh/id_\\w+|\\.aws/credentials|\\.netrc"
      + "|\\.git-credentials|\\.npmrc|\\.pypirc|\\.kube/config|\\.docker/config\\.json)|/etc/shadow|\\bid_rsa\\b";

  static {
    secret("en", EN_ASK + gap(40) + "(?:" + EN_PROMPT + ")");
    secret("en", EN_ASK + gap(40) + EN_SECRET);
    secret("en", EN_ASK + gap(40) + SECRET_FILE);
    secret("en", "\\bwhat (?:secrets|passwords|credentials|api keys|keys|tokens) (?:do|did|are|have) you\\b");
    secret("en", "\\bwhat (?:does|did) your (?:system )?(?:prompt|instructions) say\\b");
    secret("es", "\\b(?:mu[ée]strame|muestra|dime|revela|rev[ée]lame|imprime|ens[ée][ñn]ame|dame|comparte|escribe|cu[áa]l es"
        + "|repite)\\b" + gap(25) + "\\b(?:tu|tus|el|la|las|los|su|sus)\\s+(?:\\S+\\s+){0,2}?(?:prompt del sistema"
        + "|prompt de sistema|instrucciones (?:del sistema|iniciales|originales)|contrase[ñn]as?|claves? (?:de )?api"
        + "|api keys?|credenciales|tokens?)");
    secret("fr", "\\b(?:affiche|montre|montre-moi|donne-moi|donne|dis-moi|révèle|revele|répète|repete|imprime|quel est"
        + "|quelle est|partage)\\b" + gap(25) + "\\b(?:ton|ta|tes|le|la|les|votre|vos)\\s+(?:\\S+\\s+){0,2}?"
        + "(?:prompt syst[èe]me|prompt|instructions (?:syst[èe]me|initiales)|mot de passe|mots de passe|cl[ée]s? api"
        + "|identifiants|jetons?|secrets?)");
    secret("de", "\\b(?:zeig|zeige|zeigen sie|gib|geben sie|verrate|verraten sie|nenne|nennen sie|drucke|schreib|sag|sage"
        + "|was ist|wie lautet|teile)\\b" + gap(25) + "\\b(?:dein|deine|deinen|ihr|ihre|ihren|das|den|die|alle)\\s+"
        + "(?:\\S+\\s+){0,2}?(?:system-?prompt|prompt|systemanweisungen|anweisungen|passwort|passw[öo]rter|kennwort"
        + "|api-?schl[üu]ssel|schl[üu]ssel|zugangsdaten|token|geheimnisse)");
    secret("pt", "\\b(?:mostre|mostra|me diga|diga|revele|imprima|qual [ée]|me d[êe]|compartilhe|escreva)\\b" + gap(25)
        + "\\b(?:o|a|os|as|seu|sua|seus|suas|teu|tua)\\s+(?:\\S+\\s+){0,2}?(?:prompt (?:de|do) sistema|senhas?"
        + "|chaves? (?:de )?api|credenciais|tokens?)");
    secret("it", "\\b(?:mostrami|mostra|dimmi|rivela|stampa|qual [èe]|dammi|condividi|scrivi)\\b" + gap(25)
        + "\\b(?:il|la|le|i|tuo|tua|tuoi|tue)\\s+(?:\\S+\\s+){0,2}?(?:prompt di sistema|password|chiavi? api"
        + "|credenziali|token)");
    secret("ru", "(?:покажи|покажите|выведи|выведите|раскрой|раскройте|скажи|скажите|дай|дайте|напиши|сообщи|перечисли"
        + "|какой у тебя|какой твой)" + gap(25) + "(?:системн\\w* (?:промпт|инструкци|подсказк)|парол|api[- ]?ключ"
        + "|ключ\\w* api|токен|учётн\\w* данн|учетн\\w* данн|секрет)");
    secret("zh", "(?:告诉我|告訴我|显示|顯示|输出|輸出|打印|泄露|洩露|给我|給我|发给我|發給我|透露|展示|说出|說出|重复|重複|把)" + gap(12)
        + "(?:系统提示|系統提示|系统指令|系統指令|初始指令|密码|密碼|api ?密钥|api ?金鑰|密钥|金鑰|令牌|凭证|憑證|口令)");
    secret("ja", "(?:システムプロンプト|パスワード|apiキー|秘密鍵|認証情報|初期指示|トークン)" + gap(12)
        + "(?:教えて|表示|出力|見せて|送って|書いて)");
    secret("ko", "(?:시스템 프롬프트|비밀번호|api 키|암호)\\S*\\s*(?:를|을)?\\s*(?:보여|알려|출력)");
    secret("nl", "\\b(?:laat|toon|geef|vertel)\\s+(?:\\S+\\s+){0,3}?(?:systeemprompt|wachtwoord|api-?sleutel|inloggegevens)");
    secret("pl", "\\b(?:poka[żz]|podaj|wy[śs]wietl|zdrad[źz]|powiedz)\\s+(?:\\S+\\s+){0,3}?(?:prompt systemowy|has[łl]o"
        + "|klucz api|dane logowania|token)");
    secret("tr", "(?:sistem istemi\\w*|sistem promptu\\w*|şifre\\w*|parola\\w*|api anahtar\\w*)\\s+(?:\\S+\\s+){0,2}?"
        + "(?:göster|söyle|ver|yaz)");
  }
}
